package console

import (
	"net/http"
	"net/url"
)

// groupsPanel is the Groups panel beside the users table.
type groupsPanel struct{}

// groupsPanel loads the Groups panel of the Users page.
func (c *Console) groupsPanel(r *http.Request, slug string, state url.Values) (*groupsPanel, error) {
	return nil, nil
}
