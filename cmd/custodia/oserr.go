package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
)

// plainError says in the user's language what the operating system or a
// JSON decoder reported in English: a missing file, a directory given for
// a file, a permission, a file cut short. ok is false for any other error,
// which keeps its own text.
func (e *env) plainError(err error) (string, bool) {
	var ue *url.Error
	var oe *net.OpError
	if errors.As(err, &ue) && errors.As(err, &oe) && oe.Op == "dial" {
		u, _ := url.Parse(ue.URL)
		host := ue.URL
		if u != nil {
			host = u.Scheme + "://" + u.Host
		}
		return fmt.Sprintf(e.tr("no se pudo conectar con el servidor %s (¿está en marcha custodia serve? compruebe --server)",
			"could not connect to the server %s (is custodia serve running? check --server)"), host), true
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		// A document is written to a temporary file beside its name, then
		// renamed: a missing directory is the directory's, not that file's.
		if base := filepath.Base(pe.Path); strings.HasPrefix(base, ".") && strings.Contains(base, ".tmp-") && errors.Is(pe.Err, fs.ErrNotExist) {
			return fmt.Sprintf(e.tr("no existe el directorio %s", "no such directory: %s"), filepath.Dir(pe.Path)), true
		}
		switch {
		case errors.Is(pe.Err, fs.ErrNotExist):
			return fmt.Sprintf(e.tr("no existe el archivo o directorio %s", "no such file or directory: %s"), pe.Path), true
		case errors.Is(pe.Err, syscall.EISDIR):
			return fmt.Sprintf(e.tr("%s es un directorio; indique un archivo", "%s is a directory; give a file"), pe.Path), true
		case errors.Is(pe.Err, fs.ErrPermission):
			return fmt.Sprintf(e.tr("sin permiso para acceder a %s", "no permission to access %s"), pe.Path), true
		case errors.Is(pe.Err, syscall.ENOSPC):
			return fmt.Sprintf(e.tr("no queda espacio en el disco al escribir %s", "no space left on the disk writing %s"), pe.Path), true
		case errors.Is(pe.Err, syscall.ENOTDIR):
			return fmt.Sprintf(e.tr("una parte de la ruta %s no es un directorio", "part of the path %s is not a directory"), pe.Path), true
		}
		return fmt.Sprintf(e.tr("no se pudo acceder a %s (%v)", "could not access %s (%v)"), pe.Path, pe.Err), true
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf(e.tr("JSON mal formado en el byte %d", "malformed JSON at byte %d"), se.Offset), true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return e.tr("el archivo termina antes de tiempo (¿está incompleto?)", "the file ends too early (is it incomplete?)"), true
	}
	return "", false
}
