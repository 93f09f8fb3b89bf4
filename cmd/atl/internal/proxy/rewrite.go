package proxy

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// replacer rewrites addresses: each that starts with one of from (the
// whole of it, followed by the end or by a byte that cannot go on a
// host name or path segment: '/', '?', '#', or any byte a URL does not
// hold, as '"' and '>' are) becomes to followed by the rest. It works on
// whole strings (headers) and on byte streams (bodies) alike.
type replacer struct {
	from    [][]byte // longest first
	to      []byte
	firsts  string // the first bytes of from
	longest int
}

func newReplacer(from []string, to string) *replacer {
	r := &replacer{to: []byte(to)}
	for _, f := range from {
		if f == "" || len(f) >= readBuffer/2 { // no real address is that long
			continue
		}
		r.from = append(r.from, []byte(f))
		r.longest = max(r.longest, len(f))
		if !strings.ContainsRune(r.firsts, rune(f[0])) {
			r.firsts += f[:1]
		}
	}
	return r
}

// String is s with every address rewritten.
func (r *replacer) String(s string) string {
	out, _ := r.replace(nil, []byte(s), true)
	return string(out)
}

// replace appends in, rewritten, to dst. Unless atEOF, it stops before a
// part of in that may be the start of an address to rewrite but needs
// the bytes after in to tell, and returns that part as rest.
func (r *replacer) replace(dst, in []byte, atEOF bool) (out, rest []byte) {
	done := 0 // in[:done] is in dst
	for i := 0; i < len(in); {
		k := bytes.IndexAny(in[i:], r.firsts)
		if k < 0 {
			break
		}
		at := i + k
		n, undecided := r.match(in[at:], atEOF)
		switch {
		case undecided:
			return append(dst, in[done:at]...), in[at:]
		case n > 0:
			dst = append(append(dst, in[done:at]...), r.to...)
			done = at + n
			i = done
		default:
			i = at + 1
		}
	}
	return append(dst, in[done:]...), nil
}

// match returns the length of the address of from that b starts with, or
// 0; undecided when b may start with one but ends too soon to tell.
func (r *replacer) match(b []byte, atEOF bool) (n int, undecided bool) {
	for _, f := range r.from {
		switch {
		case len(b) > len(f):
			if bytes.HasPrefix(b, f) && ends(b[len(f)]) {
				return len(f), false
			}
		case bytes.HasPrefix(f, b): // b is f or the start of it
			if !atEOF {
				return 0, true
			}
			if len(b) == len(f) {
				return len(f), false
			}
		}
	}
	return 0, false
}

// ends reports whether c, after an address, ends its host name or path
// segment: it starts a path, query or fragment, or cannot be in a URL.
func ends(c byte) bool {
	switch {
	case c == '/' || c == '?' || c == '#':
		return true
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return false
	}
	return !strings.ContainsRune("-._~:[]@!$&'()*+,;=%", rune(c))
}

// readBuffer is how much of a body a rewriting reader reads at a time.
const readBuffer = 32 << 10

// Reader returns src with every address rewritten, as it is read: it
// holds at most a read's worth of bytes and the start of an address.
func (r *replacer) Reader(src io.ReadCloser) io.ReadCloser {
	return &rewriting{r: r, src: src, buf: getBuffer()}
}

// bufferPool keeps the buffers of readBuffer bytes that bodies are read
// and copied through, for the next answer.
var bufferPool = sync.Pool{New: func() any { b := make([]byte, readBuffer); return &b }}

func getBuffer() []byte { return *bufferPool.Get().(*[]byte) }

func putBuffer(b []byte) {
	if cap(b) == readBuffer {
		b = b[:readBuffer]
		bufferPool.Put(&b)
	}
}

// buffers is the proxy's httputil.BufferPool: bufferPool.
type buffers struct{}

func (buffers) Get() []byte  { return getBuffer() }
func (buffers) Put(b []byte) { putBuffer(b) }

// rewriting is a body being rewritten as it is read.
type rewriting struct {
	r    *replacer
	src  io.ReadCloser
	buf  []byte // what was read; its first held bytes may start an address
	held int
	out  []byte // rewritten, not yet read: the end of outBuf
	outB []byte
	err  error // src's, once it is done
}

func (w *rewriting) Read(p []byte) (int, error) {
	for len(w.out) == 0 {
		if w.err != nil {
			return 0, w.err
		}
		n, err := w.src.Read(w.buf[w.held:])
		w.err = err
		var rest []byte
		w.outB, rest = w.r.replace(w.outB[:0], w.buf[:w.held+n], err != nil)
		w.out = w.outB
		w.held = copy(w.buf, rest)
	}
	n := copy(p, w.out)
	w.out = w.out[n:]
	return n, nil
}

// Close closes the body and gives its buffer back: w is not read again.
func (w *rewriting) Close() error {
	if w.buf != nil {
		putBuffer(w.buf)
		w.buf, w.err = nil, io.ErrClosedPipe
	}
	return w.src.Close()
}
