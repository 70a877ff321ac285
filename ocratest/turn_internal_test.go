package ocratest

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// FuzzTURNUserName checks the TURN server's verdict on user names from the
// network: never a panic, and a key only for a name the server hands out
// (a live instance's id and an expiry in the future), the key of that
// name's password.
func FuzzTURNUserName(f *testing.F) {
	s := NewServer(WithTURN())
	f.Cleanup(s.Close)
	s.mu.Lock()
	in := &instance{id: "inst-1", userID: "alice", expireAt: time.Now().Add(time.Hour)}
	s.instances[in.id] = in
	s.mu.Unlock()
	valid := s.turn.iceServers(in, time.Now())[0].Username
	f.Add(valid)
	f.Add("0:inst-1")
	f.Add("99999999999:inst-2")
	f.Add("inst-1")
	f.Add(":")
	f.Add("-1:inst-1")
	f.Add("1e10:inst-1")
	f.Add(strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + ":inst-1:x")
	f.Fuzz(func(t *testing.T, name string) {
		id, key, ok := s.turn.check(s, &turn.RequestAttributes{Username: name, Realm: turnRealm})
		if !ok {
			if id != "" || key != nil {
				t.Fatalf("refused %q but gave id %q and a key", name, id)
			}
			return
		}
		expiry, err := strconv.ParseInt(name[:len(name)-len(":"+id)], 10, 64)
		if id != in.id || err != nil || expiry <= time.Now().Unix() {
			t.Fatalf("accepted %q (id %q)", name, id)
		}
		if want := turn.GenerateAuthKey(name, turnRealm, s.turn.password(name)); !bytes.Equal(key, want) {
			t.Fatalf("accepted %q with a key other than its password's", name)
		}
	})
}
