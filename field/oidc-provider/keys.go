package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"

	"github.com/go-jose/go-jose/v4"
	"github.com/oauth2-proxy/mockoidc"
)

// keyRing is the signing key and the one it replaced. Like a real provider after a rotation, the JWKS
// publishes both, so tokens signed before the rotation stay verifiable while new ones use the new key.
type keyRing struct {
	dir      string
	current  *mockoidc.Keypair
	previous *mockoidc.Keypair
}

func loadKeyRing(dir string) (*keyRing, error) {
	ring := &keyRing{dir: dir}
	var err error
	if ring.current, err = ring.read("current.pem"); err != nil {
		return nil, err
	}
	if ring.previous, err = ring.read("previous.pem"); err != nil {
		return nil, err
	}
	if ring.current == nil {
		if ring.current, err = mockoidc.RandomKeypair(2048); err != nil {
			return nil, err
		}
		if err := ring.write("current.pem", ring.current); err != nil {
			return nil, err
		}
	}
	return ring, nil
}

func (k *keyRing) rotate() error {
	next, err := mockoidc.RandomKeypair(2048)
	if err != nil {
		return err
	}
	k.previous, k.current = k.current, next
	if err := k.write("previous.pem", k.previous); err != nil {
		return err
	}
	return k.write("current.pem", k.current)
}

func (k *keyRing) read(name string) (*mockoidc.Keypair, error) {
	if k.dir == "" {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(k.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New(name + ": no PEM block")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return mockoidc.NewKeypair(key)
}

func (k *keyRing) write(name string, pair *mockoidc.Keypair) error {
	if k.dir == "" {
		return nil
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(pair.PrivateKey)})
	return os.WriteFile(filepath.Join(k.dir, name), data, 0o600)
}

func publicJWK(pair *mockoidc.Keypair) (jose.JSONWebKey, error) {
	kid, err := pair.KeyID()
	return jose.JSONWebKey{Use: "sig", Algorithm: string(jose.RS256), Key: pair.PublicKey, KeyID: kid}, err
}

// serveJWKS publishes the current key and, after a rotation, the previous one.
func (s *providerState) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{}
	for _, pair := range []*mockoidc.Keypair{s.keys.current, s.keys.previous} {
		if pair == nil {
			continue
		}
		jwk, err := publicJWK(pair)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		set.Keys = append(set.Keys, jwk)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// rotateKeys answers {"kid": "<new key id>"}; tokens issued from now on carry that kid.
func (s *providerState) rotateKeys(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.keys.rotate(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.provider.Keypair = s.keys.current
	kid, _ := s.keys.current.KeyID()
	writeJSON(w, map[string]string{"kid": kid})
}

func writeJSON(w http.ResponseWriter, value any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(value)
}
