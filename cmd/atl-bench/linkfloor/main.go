// Command linkfloor is the floor of atl's start-up for scripts/bench: it links
// the packages cmd/atl imports, so it runs the same package initialisers in a
// binary of nearly the same size, and exits at the top of main. (scripts/bench
// checks that its dependencies are still cmd/atl's.)
package main

import (
	_ "bufio"
	_ "bytes"
	_ "context"
	_ "crypto/tls"
	_ "crypto/x509"
	_ "encoding/json"
	_ "errors"
	_ "fmt"
	_ "github.com/atl-cli/atl/auth"
	_ "github.com/atl-cli/atl/internal/httpdebug"
	_ "github.com/atl-cli/atl/internal/jsoncolor"
	_ "github.com/atl-cli/atl/internal/termtext"
	_ "github.com/atl-cli/atl/store"
	_ "github.com/itchyny/gojq"
	_ "github.com/pkg/browser"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/term"
	_ "io"
	_ "net"
	_ "net/http"
	_ "net/http/httputil"
	_ "net/url"
	_ "os"
	_ "os/exec"
	_ "os/signal"
	_ "runtime/debug"
	_ "slices"
	_ "sort"
	_ "strconv"
	_ "strings"
	_ "sync"
	_ "syscall"
	_ "text/tabwriter"
	_ "time"
)

func main() {}
