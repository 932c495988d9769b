package web

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"sync"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

// minifiedJS returns fsys with every JavaScript file minified once, at
// start: whitespace, comments and redundant syntax go, names stay, for
// Chrome 80 (the oldest browser the apps support), with licence comments
// kept. The sources stay commented and readable in pb_public; a phone on
// 2G downloads about 40 % fewer bytes for the first load (docs/web.md,
// the budget in docs/BENCHMARKS.md). esbuild is the minifier, the same
// library internal/jsvendor bundles the vendored libraries with. A file
// esbuild cannot read is an error: the server does not start with it.
//
// The result is kept per fsys for the life of the process: every app a
// test starts registers the same files, and minifying them again for
// each would cost each test its CPU.
func minifiedJS(fsys fs.FS) (fs.FS, error) {
	cacheable := reflect.TypeOf(fsys).Comparable()
	if cacheable {
		minified.Lock()
		defer minified.Unlock()
		if o, ok := minified.byFS[fsys]; ok {
			return o, nil
		}
	}
	o, err := minify(fsys)
	if err == nil && cacheable {
		if minified.byFS == nil {
			minified.byFS = map[fs.FS]fs.FS{}
		}
		minified.byFS[fsys] = o
	}
	return o, err
}

// minified holds minifiedJS's results by the file system they came from.
var minified struct {
	sync.Mutex
	byFS map[fs.FS]fs.FS
}

func minify(fsys fs.FS) (fs.FS, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".js" {
			return err
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		res := api.Transform(string(src), api.TransformOptions{
			Loader:            api.LoaderJS,
			Sourcefile:        name,
			MinifyWhitespace:  true,
			MinifySyntax:      true,
			Engines:           []api.Engine{{Name: api.EngineChrome, Version: "80"}},
			LegalComments:     api.LegalCommentsInline,
			Charset:           api.CharsetUTF8, // Burmese or Khmer text as is, not \u escapes
			KeepNames:         false,
			MinifyIdentifiers: false,
		})
		if len(res.Errors) > 0 {
			e := res.Errors[0]
			line := 0
			if e.Location != nil {
				line = e.Location.Line
			}
			return fmt.Errorf("minify %s:%d: %s", name, line, e.Text)
		}
		files[name] = res.Code
		return nil
	})
	if err != nil {
		return nil, err
	}
	return overlay{base: fsys, files: files}, nil
}

// overlay serves files from memory in place of those of base.
type overlay struct {
	base  fs.FS
	files map[string][]byte
}

func (o overlay) Open(name string) (fs.File, error) {
	b, ok := o.files[name]
	if !ok {
		return o.base.Open(name)
	}
	return &memFile{Reader: bytes.NewReader(b), name: path.Base(name), size: int64(len(b))}, nil
}

// ReadFile serves fs.ReadFile without a copy through Open.
func (o overlay) ReadFile(name string) ([]byte, error) {
	if b, ok := o.files[name]; ok {
		return bytes.Clone(b), nil
	}
	return fs.ReadFile(o.base, name)
}

// memFile is an overlay file: readable, seekable (http.ServeContent
// seeks), with the embedded files' zero time.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return f.name }
func (f *memFile) Size() int64                { return f.size }
func (f *memFile) Mode() fs.FileMode          { return 0o444 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }

var _ io.ReadSeeker = (*memFile)(nil)
