package lab

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Module is a kernel module to load in the guest, in load order.
type Module struct {
	// Name is the module's name with underscores ("md_mod", "virtio_net").
	Name string
	// Path is the .ko file in the extracted kernel package.
	Path string
	// Params are the insmod parameters, e.g. "max_bonds=0".
	Params string
}

// modName normalises a module or file name: "md-mod.ko" → "md_mod".
func modName(s string) string {
	return strings.ReplaceAll(strings.TrimSuffix(filepath.Base(s), ".ko"), "-", "_")
}

// ResolveModules finds the named modules under the extracted kernel's
// lib/modules/<version>/kernel and returns them with every dependency (read
// from each module's .modinfo "depends=" field: the package ships no
// modules.dep) in an order insmod can load them: dependencies first,
// otherwise in the order asked. params maps a module name to its insmod
// parameters.
func ResolveModules(modulesDir string, names []string, params map[string]string) ([]Module, error) {
	index := map[string]string{}
	err := filepath.WalkDir(modulesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".ko") {
			index[modName(p)] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lab: kernel modules: %w", err)
	}
	var out []Module
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name, from string) error
	visit = func(name, from string) error {
		name = modName(name)
		switch state[name] {
		case 1:
			return fmt.Errorf("lab: kernel modules: dependency cycle at %s", name)
		case 2:
			return nil
		}
		p, ok := index[name]
		if !ok {
			if from != "" {
				return fmt.Errorf("lab: kernel module %s (needed by %s) not found under %s", name, from, modulesDir)
			}
			return fmt.Errorf("lab: kernel module %s not found under %s", name, modulesDir)
		}
		state[name] = 1
		deps, err := moduleDepends(p)
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := visit(d, name); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, Module{Name: name, Path: p, Params: params[name]})
		return nil
	}
	for _, n := range names {
		if err := visit(n, ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// moduleDepends reads the "depends=" field of a module's .modinfo section.
func moduleDepends(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lab: kernel module %s: %w", path, err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("lab: kernel module %s has no .modinfo section", path)
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("lab: kernel module %s: %w", path, err)
	}
	return parseModinfoDepends(data), nil
}

// parseModinfoDepends reads the dependency list from a .modinfo section:
// NUL-separated key=value strings, one of them "depends=a,b".
func parseModinfoDepends(data []byte) []string {
	for _, kv := range bytes.Split(data, []byte{0}) {
		v, ok := bytes.CutPrefix(kv, []byte("depends="))
		if !ok {
			continue
		}
		var deps []string
		for _, d := range strings.Split(string(v), ",") {
			if d = strings.TrimSpace(d); d != "" {
				deps = append(deps, d)
			}
		}
		return deps
	}
	return nil
}
