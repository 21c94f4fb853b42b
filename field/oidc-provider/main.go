// Command oidc-provider is the OpenID Connect provider the field tests sign in with: discovery, JWKS, an
// authorization endpoint with a login form, a token endpoint, and admin endpoints that script what a real
// provider's operators do (define users, rotate the signing key, shorten ID token lifetimes).
//
// The protocol endpoints are oauth2-proxy's mockoidc; this program adds what mockoidc leaves to its
// caller: a form login for named users with email, name and groups, a key ring that publishes the
// previous key after a rotation, keys kept in a directory so a restarted provider signs with the same
// key, and a process that runs on a chosen loopback address until SIGTERM.
//
// Usage: oidc-provider -listen 127.0.0.1:0 -client-id ID -client-secret SECRET -key-dir DIR
// On start it prints one JSON line to stdout: {"issuer": "...", "port": N}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free port)")
	clientID := flag.String("client-id", "field-client", "the OAuth client id the relying party (oauth2-proxy) uses")
	clientSecret := flag.String("client-secret", "field-client-secret", "the OAuth client secret")
	keyDir := flag.String("key-dir", "", "directory keeping the signing keys across restarts (empty: in memory)")
	idTokenTTL := flag.Duration("id-token-ttl", 10*time.Minute, "lifetime of issued ID and access tokens")
	flag.Parse()

	keys, err := loadKeyRing(*keyDir)
	if err != nil {
		log.Fatalf("keys: %v", err)
	}
	provider, err := mockoidc.NewServer(keys.current.PrivateKey)
	if err != nil {
		log.Fatalf("provider: %v", err)
	}
	provider.ClientID = *clientID
	provider.ClientSecret = *clientSecret
	provider.AccessTTL = *idTokenTTL
	provider.Keypair = keys.current

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	state := &providerState{provider: provider, keys: keys, users: defaultUsers()}
	// mockoidc derives its issuer and endpoint URLs from Server.Addr; serving ourselves lets the mux
	// carry the login form, the key ring's JWKS and the admin endpoints next to mockoidc's handlers.
	provider.Server = &http.Server{Addr: listener.Addr().String(), Handler: state.routes(), ReadHeaderTimeout: 10 * time.Second}

	stopped := make(chan struct{})
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = provider.Server.Shutdown(ctx)
		close(stopped)
	}()

	started, _ := json.Marshal(map[string]any{"issuer": provider.Issuer(), "port": listener.Addr().(*net.TCPAddr).Port})
	fmt.Println(string(started))
	if err := provider.Server.Serve(listener); err != nil && err != http.ErrServerClosed {
		log.Fatalf("serve: %v", err)
	}
	<-stopped
}

// providerState is everything the admin endpoints change; the lock keeps a rotation or a user change
// from interleaving with a token being signed.
type providerState struct {
	mu       sync.RWMutex
	provider *mockoidc.MockOIDC
	keys     *keyRing
	users    map[string]*fieldUser
}

func (s *providerState) routes() http.Handler {
	mux := http.NewServeMux()
	m := s.provider
	mux.HandleFunc(mockoidc.DiscoveryEndpoint, s.reading(m.Discovery))
	mux.HandleFunc(mockoidc.JWKSEndpoint, s.reading(s.serveJWKS))
	mux.HandleFunc(mockoidc.AuthorizationEndpoint, s.serveLogin)
	mux.HandleFunc(mockoidc.TokenEndpoint, s.reading(s.serveToken))
	mux.HandleFunc(mockoidc.UserinfoEndpoint, s.reading(m.Userinfo))
	mux.HandleFunc("PUT /admin/users", s.putUsers)
	mux.HandleFunc("POST /admin/rotate-keys", s.rotateKeys)
	mux.HandleFunc("PUT /admin/id-token-ttl", s.putIDTokenTTL)
	return mux
}

func (s *providerState) reading(handler http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		handler(w, r)
	}
}
