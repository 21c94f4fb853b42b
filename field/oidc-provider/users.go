package main

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// fieldUser is a person who can sign in with the login form. Claims follow the scopes the relying party
// asked for, as OpenID Connect Core §5.4 describes: `email`/`email_verified` with the email scope,
// `name`/`preferred_username` with profile, `groups` (not a standard claim) with the groups scope.
type fieldUser struct {
	Username string   `json:"username"`
	Subject  string   `json:"subject"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Groups   []string `json:"groups"`
	// ExtraGroups adds that many generated group names, for ID tokens of a chosen size (a user in many groups).
	ExtraGroups int `json:"extraGroups"`
}

func defaultUsers() map[string]*fieldUser {
	alice := &fieldUser{Username: "alice", Subject: "user-alice", Email: "alice@example.com", Name: "Alice Example", Groups: []string{"staff", "admins"}}
	return map[string]*fieldUser{alice.Username: alice}
}

func (u *fieldUser) ID() string { return u.Subject }

func (u *fieldUser) allGroups() []string {
	groups := slices.Clone(u.Groups)
	for i := range u.ExtraGroups {
		groups = append(groups, fmt.Sprintf("cn=group-%04d,ou=groups,dc=example,dc=com", i))
	}
	return groups
}

type scopedClaims struct {
	Email             string   `json:"email,omitempty"`
	EmailVerified     bool     `json:"email_verified,omitempty"`
	Name              string   `json:"name,omitempty"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	Groups            []string `json:"groups,omitempty"`
}

func (u *fieldUser) scoped(scopes []string) scopedClaims {
	claims := scopedClaims{}
	if slices.Contains(scopes, "email") {
		claims.Email, claims.EmailVerified = u.Email, true
	}
	if slices.Contains(scopes, "profile") {
		claims.Name, claims.PreferredUsername = u.Name, u.Username
	}
	if slices.Contains(scopes, "groups") {
		claims.Groups = u.allGroups()
	}
	return claims
}

func (u *fieldUser) Userinfo(scopes []string) ([]byte, error) {
	return json.Marshal(struct {
		Subject string `json:"sub"`
		scopedClaims
	}{u.Subject, u.scoped(scopes)})
}

type idTokenClaims struct {
	*mockoidc.IDTokenClaims
	scopedClaims
}

func (u *fieldUser) Claims(scopes []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &idTokenClaims{base, u.scoped(scopes)}, nil
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<title>Sign in</title>
<form method="post" action="">
{{range $name, $values := .}}{{range $values}}<input type="hidden" name="{{$name}}" value="{{.}}">
{{end}}{{end}}<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button>
</form>
`))

// serveLogin shows the login form (GET) and signs the named user in (POST): the authorization request's
// parameters travel as hidden fields, and mockoidc's authorization endpoint then redirects back to the
// relying party with a code. Any password is accepted: the tests prove the proxies, not the provider.
func (s *providerState) serveLogin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = loginPage.Execute(w, r.Form)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	user, known := s.users[r.PostForm.Get("username")]
	if !known {
		http.Error(w, "unknown user", http.StatusUnauthorized)
		return
	}
	s.provider.QueueUser(user)
	s.provider.Authorize(w, r)
}

// serveToken is mockoidc's token endpoint with `expires_in` in seconds (RFC 6749 §5.1); mockoidc writes a
// Go duration (nanoseconds), which would give the relying party a nonsensical access token expiry.
func (s *providerState) serveToken(w http.ResponseWriter, r *http.Request) {
	recorded := httptest.NewRecorder()
	s.provider.Token(recorded, r)
	for name, values := range recorded.Header() {
		w.Header()[name] = values
	}
	body := map[string]any{}
	if recorded.Code != http.StatusOK || json.Unmarshal(recorded.Body.Bytes(), &body) != nil {
		w.WriteHeader(recorded.Code)
		_, _ = w.Write(recorded.Body.Bytes())
		return
	}
	body["expires_in"] = int64(s.provider.AccessTTL / time.Second)
	w.Header().Del("Content-Length")
	writeJSON(w, body)
}

// putUsers adds or replaces users: a JSON array of fieldUser.
func (s *providerState) putUsers(w http.ResponseWriter, r *http.Request) {
	var users []*fieldUser
	if err := json.NewDecoder(r.Body).Decode(&users); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, user := range users {
		s.users[user.Username] = user
	}
	w.WriteHeader(http.StatusNoContent)
}

// putIDTokenTTL sets the lifetime of tokens issued from now on: {"seconds": N}.
func (s *providerState) putIDTokenTTL(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Seconds int `json:"seconds"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Seconds <= 0 {
		http.Error(w, "expected {\"seconds\": N > 0}", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.provider.AccessTTL = time.Duration(body.Seconds) * time.Second
	w.WriteHeader(http.StatusNoContent)
}
