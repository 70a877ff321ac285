package pubsub

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The decoders of what a PubNub origin answers. Seeds are below and in
// testdata/fuzz; `go test` runs them, `go test -fuzz FuzzDecodeSubscribe`
// explores further.

func FuzzDecodeSubscribe(f *testing.F) {
	for _, s := range []string{
		`{"t":{"t":"17000000000000000","r":12},"m":[]}`,
		`{"t":{"t":"17000000000000001","r":12},"m":[{"a":"4","f":0,"i":"u","p":{"t":"17000000000000001","r":12},"k":"sub","c":"ch","d":"10 x - 0 1 QUJD"}]}`,
		`{"t":{"t":"1","r":0},"m":[{"c":"ch","d":{"x":1}},{"c":"ch","e":1,"d":"s"},"x",null,{"c":1}]}`,
		`{"t":{"t":"1","r":0},"m":[{"c":"ch","d":"a\"b\\c\u00e9\ud83d\ude00"},{"c":"ch","d":"\ud800"},{"c":"ch","d":"\u0000 \t"},{"c":null,"d":"x"},{"c":"ch","e":null}]}`,
		"{\"t\":{\"t\":\"1\"},\"m\":[{\"c\":\"ch\",\"d\":\"\xff\xfe\"},{\"c\":\"ch\",\"d\":\"caf\xc3\xa9 10|x|1|2|QUJD+/=\"}]}",
		`{"t":{"t":"1"}}`,
		`{"t":{"t":1,"r":0}}`,
		`{"t":null,"m":[]}`,
		`{"t":{"t":"1","r":-1}}`,
		`{"t":{"t":"1","r":1e99}}`,
		`{"t":{"t":"123456789012345678901"}}`,
		`[]`, `{`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeSubscribe(b)
		// The one-pass decoder, when it takes a reply, agrees with the
		// envelope-by-envelope one.
		if whole, werr, ok := decodeSubscribeWhole(b); ok && isJSONObject(b) {
			each, eerr := decodeSubscribeEach(b)
			if (werr == nil) != (eerr == nil) || !reflect.DeepEqual(whole, each) {
				t.Fatalf("one pass: %+v, %v; each: %+v, %v", whole, werr, each, eerr)
			}
		}
		if err != nil {
			return
		}
		if !isTimetoken(r.Cursor.T) || r.Cursor.R < 0 {
			t.Fatalf("accepted cursor %+v", r.Cursor)
		}
		for _, m := range r.Messages {
			text, ok := m.text()
			// The shortcut for strings without escapes is a JSON decoder.
			var decoded string
			if decErr := json.Unmarshal(m.Data, &decoded); (decErr == nil && len(m.Data) > 0 && m.Data[0] == '"') != ok || decoded != text {
				t.Fatalf("text of %s: %q, %v; a decoder: %q, %v", m.Data, text, ok, decoded, decErr)
			}
			if !ok {
				continue
			}
			// A delivered message is exactly the JSON string's value.
			var again string
			if err := json.Unmarshal(encodeMessage(text), &again); err != nil || again != text {
				t.Fatalf("message %q does not survive a publish round trip: %v", text, err)
			}
		}
	})
}

func FuzzDecodePublish(f *testing.F) {
	for _, s := range []string{
		`[1,"Sent","17000000000000000"]`,
		`[0,"Message Too Large","17000000000000000"]`,
		`[1,"Sent",17000000000000000]`,
		`[1,"Sent"]`,
		`{"status":400,"error":true,"message":"Invalid Key"}`,
		`[1,2,"3"]`, `[]`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tt, err := decodePublish(b)
		if err == nil && !isTimetoken(tt) {
			t.Fatalf("accepted timetoken %q", tt)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Fatalf("unbounded error of %d bytes", len(err.Error()))
		}
	})
}

func FuzzDecodeTime(f *testing.F) {
	for _, s := range []string{`[17000000000000000]`, `["17000000000000000"]`, `[1.5]`, `[-1]`, `[]`, `[1,2]`, `x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tt, err := decodeTime(b)
		if err == nil && !isTimetoken(tt) {
			t.Fatalf("accepted timetoken %q", tt)
		}
	})
}

func FuzzPubNubError(f *testing.F) {
	for _, s := range []string{
		`{"status":403,"error":true,"service":"Access Manager","message":"Forbidden"}`,
		`[0,"Invalid Key","17000000000000000"]`,
		`{"code":50300,"message":"Service unavailable","reference":"r"}`,
		`<html>`, ``,
	} {
		f.Add(503, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, b []byte) {
		e := pubNubError("subscribe", status, b)
		if e.Status != status || len(e.Message) > 200 {
			t.Fatalf("error %+v", e)
		}
	})
}
