// Command gen writes the vendored browser bundles (see package jsvendor).
// Run it from internal/jsvendor with go generate.
package main

import (
	"log"
	"os"
	"path/filepath"

	"homeward/internal/jsvendor"
)

func main() {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		log.Fatal(err)
	}
	for _, lib := range jsvendor.Libraries {
		out, err := jsvendor.Bundle(root, lib)
		if err != nil {
			log.Fatal(err)
		}
		path := jsvendor.BundlePath(root, lib)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote %s (%d bytes)", path, len(out))
	}
}
