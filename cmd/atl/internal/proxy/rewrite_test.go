package proxy

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// sites are the addresses a test rewrites, as siteapi's Addresses gives
// them: longest first.
var sites = []string{
	"https://api.atlassian.com/ex/confluence/c1",
	"http://127.0.0.1:9/ex/confluence/c1",
	"https://api.atlassian.com/ex/jira/c1",
	"http://127.0.0.1:9/ex/jira/c1",
	"https://example.atlassian.net",
}

const local = "http://127.0.0.1:27814"

func TestReplacerString(t *testing.T) {
	r := newReplacer(sites, local)
	for in, want := range map[string]string{
		`{"self":"https://api.atlassian.com/ex/jira/c1/rest/api/3/issue/1"}`:                `{"self":"` + local + `/rest/api/3/issue/1"}`,
		`{"self":"http://127.0.0.1:9/ex/jira/c1/rest/api/3/issue/1?x=1"}`:                   `{"self":"` + local + `/rest/api/3/issue/1?x=1"}`,
		`{"next":"http://127.0.0.1:9/ex/confluence/c1/wiki/api/v2/spaces"}`:                 `{"next":"` + local + `/wiki/api/v2/spaces"}`,
		`{"base":"https://example.atlassian.net/wiki","u":"https://example.atlassian.net"}`: `{"base":"` + local + `/wiki","u":"` + local + `"}`,
		`<https://example.atlassian.net/rest/api/3/x?startAt=2>; rel="next"`:                `<` + local + `/rest/api/3/x?startAt=2>; rel="next"`,
		"https://example.atlassian.net#frag https://example.atlassian.net?q":                local + "#frag " + local + "?q",
		"https://example.atlassian.net":                                                     local,
		// Not the site: a longer host, another port, user info, another
		// cloud id, an escaped slash, plain http.
		`"https://example.atlassian.net.evil.com/x"`:          `"https://example.atlassian.net.evil.com/x"`,
		`"https://example.atlassian.network"`:                 `"https://example.atlassian.network"`,
		`"https://example.atlassian.net:8443/x"`:              `"https://example.atlassian.net:8443/x"`,
		`"https://example.atlassian.net@evil.com/x"`:          `"https://example.atlassian.net@evil.com/x"`,
		`"https://api.atlassian.com/ex/jira/c12/rest"`:        `"https://api.atlassian.com/ex/jira/c12/rest"`,
		`"https://api.atlassian.com/ex/jira/c1-2/rest"`:       `"https://api.atlassian.com/ex/jira/c1-2/rest"`,
		`"https:\/\/example.atlassian.net\/x"`:                `"https:\/\/example.atlassian.net\/x"`,
		`"http://example.atlassian.net/x"`:                    `"http://example.atlassian.net/x"`,
		`"https://api.atlassian.com/me" hhhh https://example`: `"https://api.atlassian.com/me" hhhh https://example`,
		"": "",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%s)\n got %s\nwant %s", in, got, want)
		}
	}
}

// chunks reads b in pieces of the sizes given, over and over.
type chunks struct {
	b     []byte
	sizes []int
	i     int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.b), max(c.sizes[c.i%len(c.sizes)], 1))
	c.i++
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// streamed is in rewritten as a body read in pieces of sizes.
func streamed(t testing.TB, r *replacer, in []byte, sizes []int) string {
	t.Helper()
	var out bytes.Buffer
	_, err := io.Copy(&out, r.Reader(io.NopCloser(&chunks{b: in, sizes: sizes})))
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestReplacerStreamsAddressesSplitAcrossReads(t *testing.T) {
	r := newReplacer(sites, local)
	body := []byte(`{"self":"https://api.atlassian.com/ex/jira/c1/rest/api/3/issue/1","links":["http://127.0.0.1:9/ex/confluence/c1/wiki/x","https://example.atlassian.net"],"h":"https://example.atlassian.net`)
	want := r.String(string(body))
	if !strings.Contains(want, local+"/rest/api/3/issue/1") || strings.Count(want, local) != 4 {
		t.Fatalf("whole: %s", want)
	}
	for _, sizes := range [][]int{{1}, {2}, {3}, {7, 1}, {30}, {len(body)}, {31, 2, 45}} {
		if got := streamed(t, r, body, sizes); got != want {
			t.Errorf("read in pieces of %v:\n got %s\nwant %s", sizes, got, want)
		}
	}
	// One byte at a time, through the reader's own small reads too.
	rd := iotest.OneByteReader(r.Reader(io.NopCloser(bytes.NewReader(body))))
	if got, _ := io.ReadAll(rd); string(got) != want {
		t.Errorf("read a byte at a time: %s", got)
	}
}

func TestReplacerKeepsMemoryBounded(t *testing.T) {
	r := newReplacer(sites, local)
	page := bytes.Repeat([]byte(`{"self":"https://api.atlassian.com/ex/jira/c1/rest/api/3/issue/1"},`), 2000)
	rd := r.Reader(io.NopCloser(bytes.NewReader(page))).(*rewriting)
	n, err := io.Copy(io.Discard, rd)
	if err != nil || n != int64(len(page))-2000*int64(len("https://api.atlassian.com/ex/jira/c1")-len(local)) {
		t.Fatalf("%d bytes, %v", n, err)
	}
	// What it holds is a read's worth, rewritten (never longer here).
	if cap(rd.buf) != readBuffer || cap(rd.outB) > 2*readBuffer {
		t.Fatalf("buffers of %d and %d bytes", cap(rd.buf), cap(rd.outB))
	}
}

// FuzzReplacerStreaming: a body rewritten as it streams, in pieces of any
// sizes, is the body rewritten whole.
func FuzzReplacerStreaming(f *testing.F) {
	f.Add([]byte(`{"self":"https://api.atlassian.com/ex/jira/c1/rest"}`), []byte{3, 1, 9})
	f.Add([]byte(`https://example.atlassian.nethttps://example.atlassian.net/`), []byte{1})
	f.Add([]byte(`hhttp://127.0.0.1:9/ex/jira/c1http://127.0.0.1:9/ex/confluence/c1?`), []byte{5, 2})
	r := newReplacer(sites, local)
	f.Fuzz(func(t *testing.T, body, pieces []byte) {
		sizes := []int{1}
		if len(pieces) > 0 {
			sizes = sizes[:0]
			for _, p := range pieces {
				sizes = append(sizes, int(p))
			}
		}
		if got, want := streamed(t, r, body, sizes), r.String(string(body)); got != want {
			t.Fatalf("streamed in %v:\n got %q\nwant %q", sizes, got, want)
		}
	})
}

// An address too long to be held while the next read tells where it ends
// (half a read's worth or more) is no address to rewrite; one byte
// shorter is.
func TestReplacerIgnoresAddressesOfHalfARead(t *testing.T) {
	long := "https://" + strings.Repeat("a", readBuffer/2-len("https://"))
	if r := newReplacer([]string{long}, local); r.String(long+"/x") != long+"/x" || len(r.from) != 0 {
		t.Fatalf("an address of %d bytes was kept", len(long))
	}
	long = long[:len(long)-1]
	if r := newReplacer([]string{long, ""}, local); r.String(long+"/x") != local+"/x" || len(r.from) != 1 {
		t.Fatalf("an address of %d bytes was not kept", len(long))
	}
}

// A closed body reads no more, and closing it again gives its buffer
// back once only.
func TestRewritingBodyClosed(t *testing.T) {
	rd := newReplacer(sites, local).Reader(io.NopCloser(strings.NewReader(`{"self":"https://example.atlassian.net"}`)))
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := rd.Read(make([]byte, 10)); n != 0 || err != io.ErrClosedPipe {
		t.Fatalf("read after Close: %d, %v", n, err)
	}
	if err := rd.Close(); err != nil || rd.(*rewriting).buf != nil {
		t.Fatal("closed twice")
	}
}

// The buffer pool gives buffers of a read's worth only: one of another
// size given back is dropped.
func TestBufferPoolHoldsReadsWorthsOnly(t *testing.T) {
	for range 100 {
		putBuffer(make([]byte, 10))
		buffers{}.Put(make([]byte, 100, readBuffer+1))
	}
	for range 200 {
		if b := (buffers{}).Get(); len(b) != readBuffer {
			t.Fatalf("a buffer of %d bytes", len(b))
		}
	}
}
