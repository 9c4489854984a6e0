#!/usr/bin/env bash
# Sourced by the deps scripts. go_tool NAME MODULE VERSION PACKAGE installs
# PACKAGE@VERSION into $(go env GOPATH)/bin with `go install`, unless
# GOPATH/bin/NAME was already built from MODULE VERSION by the Go toolchain
# that runs now ($GO env GOVERSION: go.mod's toolchain line, exported by the
# Makefile). A tool built by an older Go is rebuilt: golangci-lint and
# govulncheck type-check the standard library, and a go/types older than the
# toolchain refuses it ("requires newer Go version").

# go_tool NAME MODULE VERSION PACKAGE
go_tool() {
	local name=$1 mod=$2 version=$3 pkg=$4 bin gover
	bin="$($GO env GOPATH)/bin/$name"
	gover=$($GO env GOVERSION)
	if [ -x "$bin" ] && $GO version -m "$bin" 2>/dev/null |
		awk -v g="$gover" -v m="$mod" -v v="$version" \
			'NR == 1 && $2 == g { built = 1 } $1 == "mod" && $2 == m && $3 == v { from = 1 } END { exit !(built && from) }'; then
		echo "${0##*/}: $name $version ($gover) present"
	else
		echo "${0##*/}: installing $name $version with $gover"
		$GO install "$pkg@$version"
	fi
}
