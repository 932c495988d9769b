package jsvendor_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"homeward/internal/heavytest"
	"homeward/internal/jsvendor"
	"homeward/internal/testserver"
)

// TestBundlesAreUpToDate rebuilds every vendored bundle from its pinned
// npm packages and compares it with the committed file. Without
// node_modules (npm ci not run) it skips, except in CI, which installs them.
func TestBundlesAreUpToDate(t *testing.T) {
	root := testserver.RepoRoot()
	for _, lib := range jsvendor.Libraries {
		t.Run(lib.Name, func(t *testing.T) {
			got, err := jsvendor.Bundle(root, lib)
			if errors.Is(err, jsvendor.ErrNotInstalled) {
				if heavytest.Required() {
					t.Fatalf("%v (CI runs npm ci for every third_party library)", err)
				}
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			committed, err := os.ReadFile(jsvendor.BundlePath(root, lib))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, committed) {
				t.Fatalf("%s differs from a fresh bundle of its pinned packages: run go generate ./internal/jsvendor", jsvendor.BundlePath(root, lib))
			}
		})
	}
}
