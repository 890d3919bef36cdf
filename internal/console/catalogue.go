package console

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// catalogue maps message keys to the text of one language. Keys are
// dotted: "users.title", "error.username_taken", "done.user_created".
type catalogue map[string]string

// loadCatalogues reads messages/<lang>.json for every language.
func loadCatalogues(fsys fs.FS) (map[string]catalogue, error) {
	names, err := fs.Glob(fsys, "messages/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]catalogue{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var c catalogue
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("console: catalogue %s: %w", n, err)
		}
		out[strings.TrimSuffix(path.Base(n), ".json")] = c
	}
	if out["en"] == nil || out["ja"] == nil {
		return nil, fmt.Errorf("console: the en and ja catalogues are required")
	}
	return out, nil
}

func (c catalogue) has(key string) bool { _, ok := c[key]; return ok }

// text is key's message formatted with args; a missing key shows itself
// (the catalogue test keeps that from happening).
func (c catalogue) text(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
