#!/bin/sh
# debian-copyright.sh NOTICE writes the .deb's machine-readable
# /usr/share/doc/redwatch/copyright (DEP-5): Apache-2.0 by reference to
# Debian's common-licenses, and the NOTICE (with the bundled modules'
# NOTICE texts, Apache-2.0 section 4(d)) as its comment.
set -eu
cat <<'HEAD'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: redwatch
Source: https://github.com/redwatch/redwatch
HEAD
printf 'Comment:\n'
sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' "$1"
cat <<'TAIL'

Files: *
Copyright: 2026 The redwatch Authors
License: Apache-2.0

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License");
 you may not use this file except in compliance with the License.
 You may obtain a copy of the License at
 .
 https://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an "AS IS" BASIS,
 WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 See the License for the specific language governing permissions and
 limitations under the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0
 can be found in "/usr/share/common-licenses/Apache-2.0".
TAIL
