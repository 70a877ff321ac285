package legacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// maxTicketLen bounds the user ticket of an Authorization header.
const maxTicketLen = 4096

// maxTicketLife caps a ticket's expiresIn, in seconds (ten years), so that
// no value overflows a time.Duration.
const maxTicketLife = 10 * 365 * 24 * 3600

// TicketIdentity is who a user ticket names.
type TicketIdentity struct {
	Type     string `json:"type"`     // "username" for app users
	Endpoint string `json:"endpoint"` // the user id
}

// ticketData is the signed JSON of a 1.x user ticket.
type ticketData struct {
	ApplicationKey string         `json:"applicationKey"`
	Identity       TicketIdentity `json:"identity"`
	Created        string         `json:"created"`
	ExpiresIn      int64          `json:"expiresIn"`
}

// Ticket signs a 1.x user ticket for user, as an application's backend does
// (and as the SDK does itself when given the application secret):
// base64(JSON) ":" base64(HMAC-SHA256(base64-decode(secret), JSON)), the JSON
// naming the application, the user, when it was made and 86400 s of life.
func Ticket(appKey string, secret []byte, user string, created time.Time) string {
	data, _ := json.Marshal(ticketData{ // fixed types: cannot fail
		ApplicationKey: appKey,
		Identity:       TicketIdentity{Type: "username", Endpoint: user},
		Created:        created.UTC().Format("2006-01-02T15:04:05.000Z"),
		ExpiresIn:      86400,
	})
	return base64.StdEncoding.EncodeToString(data) + ":" + ticketSignature(secret, data)
}

func ticketSignature(secret, data []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(data)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

var (
	errTicketMalformed = errors.New("the user ticket is not base64(JSON):signature")
	errTicketSignature = errors.New("the user ticket's signature does not match the application secret")
	errTicketApp       = errors.New("the user ticket names another application")
	errTicketUser      = errors.New("the user ticket names no username")
	errTicketExpired   = errors.New("the user ticket has expired or is not valid yet")
)

// verifyTicket checks a user ticket against the application key and secret
// and returns the user it names. A ticket is valid from its creation (give
// or take the clock skew allowed for signed requests) for expiresIn seconds.
func verifyTicket(ticket, appKey string, secret []byte, now time.Time) (string, error) {
	if len(ticket) > maxTicketLen {
		return "", errTicketMalformed
	}
	encoded, sig, ok := strings.Cut(ticket, ":")
	if !ok {
		return "", errTicketMalformed
	}
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", errTicketMalformed
	}
	if !hmac.Equal([]byte(sig), []byte(ticketSignature(secret, data))) {
		return "", errTicketSignature
	}
	var t ticketData
	if err := json.Unmarshal(data, &t); err != nil {
		return "", errTicketMalformed
	}
	if t.ApplicationKey != appKey {
		return "", errTicketApp
	}
	if t.Identity.Type != "username" || t.Identity.Endpoint == "" || len(t.Identity.Endpoint) > 255 {
		return "", errTicketUser
	}
	created, err := time.Parse(time.RFC3339Nano, t.Created)
	if err != nil || t.ExpiresIn <= 0 {
		return "", errTicketMalformed
	}
	life := time.Duration(min(t.ExpiresIn, maxTicketLife)) * time.Second
	if now.Before(created.Add(-maxClockSkew)) || now.After(created.Add(life+maxClockSkew)) {
		return "", errTicketExpired
	}
	return t.Identity.Endpoint, nil
}
