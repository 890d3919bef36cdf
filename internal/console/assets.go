package console

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// assets are the embedded static files under content-hashed names, so that
// they can be cached for ever and a new build is never served stale.
type assets struct {
	byName map[string]string // "app.js" → "app.3f2a9c1b.js"
	files  map[string][]byte // hashed name → content
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{byName: map[string]string{}, files: map[string][]byte{}}
	names, err := fs.Glob(fsys, "static/*")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		base := path.Base(n)
		ext := path.Ext(base)
		hashed := strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byName[base], a.files[hashed] = hashed, b
	}
	return a, nil
}

// url is the address of the asset named name; templates call it as
// {{asset "app.js"}}.
func (a *assets) url(name string) string {
	h, ok := a.byName[name]
	if !ok {
		panic("console: no asset " + name)
	}
	return "/static/" + h
}

func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	b, ok := a.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(r.PathValue("file")))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}
