// Package jsvendor bundles the browser libraries Homeward vendors from
// npm into single files under pb_public/js/vendor, with esbuild's Go API,
// for the oldest browser the apps support (Chrome 80, as on the cheap
// Android phones released workers carry).
//
// Each library lives in third_party/<name>: a package.json and
// package-lock.json pinning exact versions, the library's licence, and an
// entry.js exporting only what Homeward uses. The bundle is committed, so
// building and serving Homeward needs no npm; to update a
// library, change its pinned version, run `npm ci --prefix
// third_party/<name>` and `go generate ./internal/jsvendor`.
// TestBundlesAreUpToDate rebuilds each bundle and compares it byte for
// byte with the committed one.
package jsvendor

//go:generate go run ./gen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// Library is one vendored npm library.
type Library struct {
	// Name is its folder under third_party and its bundle's name under
	// pb_public/js/vendor (Name + ".js").
	Name string
	// Packages are the npm packages the bundle contains, whose pinned
	// versions the bundle's banner names.
	Packages []string
	// Licence names the packages' licence, kept beside them as LICENSE.
	Licence string
}

// Libraries are the vendored libraries.
var Libraries = []Library{
	{Name: "hpke", Packages: []string{"@hpke/core", "@hpke/common"}, Licence: "MIT"},
	{Name: "fflate", Packages: []string{"fflate"}, Licence: "MIT"},
	{Name: "shamir", Packages: []string{"shamir-secret-sharing"}, Licence: "Apache-2.0"},
	{Name: "qrcode", Packages: []string{"qrcode-generator"}, Licence: "MIT"},
}

// Target is the oldest browser the bundles run on.
const Target = "chrome80"

// Bundle builds lib from root (the repository) and returns the bundle's
// bytes: an ES module, minified, with a banner naming the packages, their
// versions and their licence. It fails when the library's node_modules is
// missing (run npm ci) or when an installed version differs from the one
// package.json pins.
func Bundle(root string, lib Library) ([]byte, error) {
	dir := filepath.Join(root, "third_party", lib.Name+"-js")
	pinned, err := pinnedVersions(dir)
	if err != nil {
		return nil, err
	}
	var banner strings.Builder
	banner.WriteString("// Bundled from npm by internal/jsvendor for " + Target + ":")
	for _, p := range lib.Packages {
		installed, err := installedVersion(dir, p)
		if err != nil {
			return nil, err
		}
		if installed != pinned[p] {
			return nil, fmt.Errorf("%s: %s %s is installed but package.json pins %s; run npm ci --prefix %s", lib.Name, p, installed, pinned[p], dir)
		}
		banner.WriteString(" " + p + "@" + installed)
	}
	banner.WriteString(".\n// Licence (" + lib.Licence + "): third_party/" + lib.Name + "-js/LICENSE.")
	res := api.Build(api.BuildOptions{
		EntryPoints:      []string{filepath.Join(dir, "entry.js")},
		AbsWorkingDir:    dir,
		Bundle:           true,
		Format:           api.FormatESModule,
		Target:           api.ES2019,
		Engines:          []api.Engine{{Name: api.EngineChrome, Version: strings.TrimPrefix(Target, "chrome")}},
		MinifySyntax:     true,
		MinifyWhitespace: true,
		// Identifiers stay as written, so an auditor can read the bundle
		// against the published package.
		MinifyIdentifiers: false,
		LegalComments:     api.LegalCommentsEndOfFile,
		Banner:            map[string]string{"js": banner.String()},
		Charset:           api.CharsetUTF8,
		Write:             false,
		LogLevel:          api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("bundle %s: %s", lib.Name, strings.Join(msgs, "\n"))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle %s: %d output files, want 1", lib.Name, len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

// BundlePath is where lib's bundle is committed, under root.
func BundlePath(root string, lib Library) string {
	return filepath.Join(root, "pb_public", "js", "vendor", lib.Name+".js")
}

// ErrNotInstalled means a library's node_modules is missing.
var ErrNotInstalled = errors.New("not installed: run npm ci")

func pinnedVersions(dir string) (map[string]string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return nil, fmt.Errorf("%s/package.json: %w", dir, err)
	}
	for name, v := range pkg.Dependencies {
		if strings.ContainsAny(v, "^~<>*x ") {
			return nil, fmt.Errorf("%s/package.json: %s %q is not an exact version", dir, name, v)
		}
	}
	return pkg.Dependencies, nil
}

func installedVersion(dir, pkg string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "node_modules", pkg, "package.json"))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s in %s: %w", pkg, dir, ErrNotInstalled)
	}
	if err != nil {
		return "", err
	}
	var p struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", err
	}
	return p.Version, nil
}
