// Command app is the one static program behind berth's end-to-end test
// images, standing in for the seed's redis, flask and nginx:
//
//	app kv     a TCP key-value store on :6379 (AUTH <password>, INCR <key>)
//	app web    an HTTP counter on :8000 backed by kv at $KV_ADDR
//	app proxy  an HTTP reverse proxy on :80 to $UPSTREAM; like nginx's
//	           proxy_next_upstream, it retries a GET on another address of
//	           the upstream when it cannot connect (for up to 5 s)
//	app probe URL|tcp ADDR   a health probe: exit 0 when the target answers
//	app exit N                exit with status N (one-shot jobs)
//	app log LINE...           print each LINE (the last one to stderr), then
//	                          wait for SIGTERM
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: app kv|web|proxy|probe|exit")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "kv":
		err = kv(os.Getenv("REDIS_PASSWORD"))
	case "web":
		err = web()
	case "proxy":
		err = proxy()
	case "probe":
		err = probe(os.Args[2:])
	case "log":
		err = logLines(os.Args[2:])
	case "exit":
		n, _ := strconv.Atoi(os.Args[2])
		os.Exit(n)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(1)
	}
}

func logLines(lines []string) error {
	for i, l := range lines {
		if i == len(lines)-1 {
			fmt.Fprintln(os.Stderr, l)
		} else {
			fmt.Println(l)
		}
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, os.Interrupt)
	<-term
	return nil
}

func kv(password string) error {
	l, err := net.Listen("tcp", ":6379")
	if err != nil {
		return err
	}
	var mu sync.Mutex
	counts := map[string]int{}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			authed := password == ""
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				cmd, arg, _ := strings.Cut(sc.Text(), " ")
				switch {
				case cmd == "AUTH":
					authed = arg == password
					if !authed {
						fmt.Fprintln(c, "ERR invalid password")
						continue
					}
					fmt.Fprintln(c, "OK")
				case !authed:
					fmt.Fprintln(c, "ERR NOAUTH")
				case cmd == "INCR":
					mu.Lock()
					counts[arg]++
					n := counts[arg]
					mu.Unlock()
					fmt.Fprintln(c, n)
				case cmd == "PING":
					fmt.Fprintln(c, "PONG")
				default:
					fmt.Fprintln(c, "ERR unknown command")
				}
			}
		}()
	}
}

func web() error {
	http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		n, err := incr(os.Getenv("KV_ADDR"), os.Getenv("REDIS_PASSWORD"), "hits")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		host, _ := os.Hostname()
		fmt.Fprintf(w, "Hello Container World! I have been seen %d times and my hostname is %s.\n", n, host)
	})
	return serveUntilTerm(&http.Server{Addr: ":8000"})
}

// serveUntilTerm serves until SIGTERM, then stops taking connections and
// finishes the requests under way before it exits, as a well-behaved web
// server does when its container is stopped.
func serveUntilTerm(srv *http.Server) error {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, os.Interrupt)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-term:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	}
}

func incr(addr, password, key string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	r := bufio.NewReader(c)
	fmt.Fprintf(c, "AUTH %s\nINCR %s\n", password, key)
	auth, _ := r.ReadString('\n')
	if strings.TrimSpace(auth) != "OK" {
		return 0, fmt.Errorf("kv: %s", strings.TrimSpace(auth))
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(line))
}

func proxy() error {
	u, err := url.Parse(os.Getenv("UPSTREAM"))
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// No kept-alive connections: each request resolves the upstream's
	// name again, so a replaced container is left as soon as DNS says so.
	// A short connect timeout: an address DNS gave just before its
	// container went away does not answer at all.
	dialer := &net.Dialer{Timeout: 500 * time.Millisecond}
	rp.Transport = &retryingTransport{next: &http.Transport{DisableKeepAlives: true, DialContext: dialer.DialContext}}
	return serveUntilTerm(&http.Server{Addr: ":80", Handler: rp})
}

// retryingTransport retries a GET whose connection could not be made (the
// upstream address is gone, refuses or does not answer), for up to 5 s.
type retryingTransport struct{ next http.RoundTripper }

func (t *retryingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := t.next.RoundTrip(req)
		var op *net.OpError
		if err == nil || req.Method != http.MethodGet || !errors.As(err, &op) || op.Op != "dial" || time.Now().After(deadline) {
			return resp, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func probe(args []string) error {
	if len(args) == 2 && args[0] == "tcp" {
		c, err := net.DialTimeout("tcp", args[1], 2*time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: app probe URL | app probe tcp ADDR")
	}
	cl := http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get(args[0])
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", args[0], resp.Status)
	}
	return nil
}
