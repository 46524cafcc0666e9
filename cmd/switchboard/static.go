package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// Static files beside the WebSocket endpoint (ListenerConfig.Static): a
// browser loads the page that talks WAMP from the same origin it connects
// to, so one listener and no AllowedOrigins entry serve both.

// staticHandler serves dir under prefix. It fails when dir is not a
// readable directory, so a typo stops the router at start instead of
// answering 404 forever.
func staticHandler(st StaticConfig) (pattern string, h http.Handler, err error) {
	fi, err := os.Stat(st.Dir)
	if err != nil {
		return "", nil, fmt.Errorf("static dir: %w", err)
	}
	if !fi.IsDir() {
		return "", nil, fmt.Errorf("static dir %s: not a directory", st.Dir)
	}
	pattern = st.Prefix
	if !strings.HasSuffix(pattern, "/") {
		pattern += "/"
	}
	files := http.FileServerFS(noListing{os.DirFS(st.Dir)})
	return pattern, http.StripPrefix(strings.TrimSuffix(pattern, "/"), files), nil
}

// noListing serves a directory only through its index.html: the listing
// http.FileServer would otherwise write is refused as not found.
type noListing struct{ fs.FS }

// Open implements fs.FS.
func (n noListing) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		idx, err := n.FS.Open(path.Join(name, "index.html"))
		if err != nil {
			f.Close()
			return nil, errors.Join(fs.ErrNotExist, err)
		}
		idx.Close()
	}
	return f, nil
}
