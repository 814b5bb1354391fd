package httpapi

import (
	"errors"
	"io"
	"sync"
)

// bufPipe carries an upload's bytes from the requests that receive them to
// the blob store's Put, like io.Pipe but with a few buffers in flight, so
// that receiving the next megabyte overlaps hashing and writing the last
// one (io.Pipe would make them take turns). It holds at most pipeBufs
// buffers of copyBuf bytes.
//
// One writer at a time (the upload's lock) calls buffer and send; any
// goroutine may call closeWrite; the Put's goroutine reads and calls
// closeRead when Put returns.
type bufPipe struct {
	full  chan []byte
	free  chan []byte
	alloc int // buffers made so far (writer side)

	wOnce   sync.Once
	wClosed chan struct{}
	werr    error // set before wClosed closes: nil means EOF

	rOnce sync.Once
	rDone chan struct{}

	cur  []byte // reader's unread part of its buffer
	held []byte // reader's buffer, to recycle
}

const pipeBufs = 4

func newBufPipe() *bufPipe {
	return &bufPipe{full: make(chan []byte, pipeBufs), free: make(chan []byte, pipeBufs),
		wClosed: make(chan struct{}), rDone: make(chan struct{})}
}

// errReaderGone is what send returns once the reader stopped.
var errReaderGone = errors.New("the store stopped reading")

// buffer returns an empty buffer to fill, waiting for one to come back if
// all are in flight.
func (p *bufPipe) buffer() ([]byte, error) {
	select {
	case b := <-p.free:
		return b[:cap(b)], nil
	default:
	}
	if p.alloc < pipeBufs {
		p.alloc++
		return make([]byte, copyBuf), nil
	}
	select {
	case b := <-p.free:
		return b[:cap(b)], nil
	case <-p.rDone:
		return nil, errReaderGone
	}
}

// send hands a filled buffer to the reader.
func (p *bufPipe) send(b []byte) error {
	select {
	case <-p.rDone:
		return errReaderGone
	default:
	}
	select {
	case p.full <- b:
		return nil
	case <-p.rDone:
		return errReaderGone
	}
}

// closeWrite ends the stream: the reader gets the buffers already sent,
// then io.EOF (err nil) or err.
func (p *bufPipe) closeWrite(err error) {
	p.wOnce.Do(func() {
		p.werr = err
		close(p.wClosed)
	})
}

// closeRead tells writers that nobody reads any more.
func (p *bufPipe) closeRead() { p.rOnce.Do(func() { close(p.rDone) }) }

// Read implements io.Reader for the Put.
func (p *bufPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.held != nil {
			select {
			case p.free <- p.held:
			default:
			}
			p.held = nil
		}
		select {
		case buf := <-p.full:
			p.cur, p.held = buf, buf
			continue
		case <-p.wClosed:
		}
		// Closed: the buffers sent before the close still count.
		select {
		case buf := <-p.full:
			p.cur, p.held = buf, buf
			continue
		default:
		}
		if p.werr != nil {
			return 0, p.werr
		}
		return 0, io.EOF
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}
