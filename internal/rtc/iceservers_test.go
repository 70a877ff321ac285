package rtc

import (
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
)

// iceServerCases are entries that pion accepts (ok) or refuses when it
// creates a peer connection.
var iceServerCases = []struct {
	name string
	s    webrtc.ICEServer
	ok   bool
}{
	{"stun", webrtc.ICEServer{URLs: []string{"stun:stun.example.com:19302"}}, true},
	{"stun without port", webrtc.ICEServer{URLs: []string{"stun:stun.example.com"}}, true},
	{"stun with a query pion strips", webrtc.ICEServer{URLs: []string{"stun:stun.example.com?transport=udp"}}, true},
	{"stuns", webrtc.ICEServer{URLs: []string{"stuns:stun.example.com:5349"}}, true},
	{"turn with password", webrtc.ICEServer{URLs: []string{"turn:turn.example.com:3478?transport=tcp"}, Username: "u", Credential: "p"}, true},
	{"turns with password", webrtc.ICEServer{URLs: []string{"turns:turn.example.com"}, Username: "u", Credential: "p"}, true},
	{"turn with OAuth", webrtc.ICEServer{URLs: []string{"turn:turn.example.com"}, Username: "u",
		Credential: webrtc.OAuthCredential{MACKey: "k", AccessToken: "t"}, CredentialType: webrtc.ICECredentialTypeOauth}, true},
	{"IPv6 host", webrtc.ICEServer{URLs: []string{"stun:[::1]:3478"}}, true},
	// A host that cannot resolve fails only its own gathering, not the call.
	{"space in the host", webrtc.ICEServer{URLs: []string{"stun:exa mple.com:3478"}}, true},

	{"no host", webrtc.ICEServer{URLs: []string{"stun:"}}, false},
	{"no host, with port", webrtc.ICEServer{URLs: []string{"turn::3478"}, Username: "u", Credential: "p"}, false},
	{"http scheme", webrtc.ICEServer{URLs: []string{"http://stun.example.com"}}, false},
	{"bad port", webrtc.ICEServer{URLs: []string{"stun:stun.example.com:port"}}, false},
	{"turn without credential", webrtc.ICEServer{URLs: []string{"turn:turn.example.com"}, Username: "u"}, false},
	{"turn without username", webrtc.ICEServer{URLs: []string{"turn:turn.example.com"}, Credential: "p"}, false},
	{"turn with a non-string password", webrtc.ICEServer{URLs: []string{"turn:turn.example.com"}, Username: "u", Credential: 42}, false},
	{"turn with a bad transport", webrtc.ICEServer{URLs: []string{"turn:turn.example.com?transport=sctp"}, Username: "u", Credential: "p"}, false},
	{"one good URL, one bad", webrtc.ICEServer{URLs: []string{"stun:stun.example.com", "stun:"}}, false},
}

// TestCheckICEServerAgreesWithPion: every entry CheckICEServer accepts,
// pion accepts in a peer connection, and every entry it refuses, pion
// refuses.
func TestCheckICEServerAgreesWithPion(t *testing.T) {
	api, err := NewAPI(Config{Loopback: true})
	require.NoError(t, err)
	for _, tc := range iceServerCases {
		t.Run(tc.name, func(t *testing.T) {
			checkErr := CheckICEServer(tc.s)
			pc, pionErr := api.NewPeerConnection(webrtc.Configuration{ICEServers: []webrtc.ICEServer{tc.s}})
			if pc != nil {
				require.NoError(t, pc.Close())
			}
			require.Equal(t, tc.ok, pionErr == nil, "pion: %v", pionErr)
			require.Equal(t, tc.ok, checkErr == nil, "CheckICEServer: %v", checkErr)
		})
	}
}

func TestCheckICEServerRefusesAnEntryWithoutURLs(t *testing.T) {
	require.ErrorContains(t, CheckICEServer(webrtc.ICEServer{}), "has no URL")
}

// TestValidICEServersDropsAndNamesBadEntries: the bad entries are named by
// index and URL, never by credential, and the good ones are kept in order.
func TestValidICEServersDropsAndNamesBadEntries(t *testing.T) {
	good1 := webrtc.ICEServer{URLs: []string{"stun:a.example.com"}}
	bad := webrtc.ICEServer{URLs: []string{"turn:"}, Username: "u", Credential: "secret-password"}
	good2 := webrtc.ICEServer{URLs: []string{"turn:b.example.com"}, Username: "u", Credential: "secret-password"}
	huge := webrtc.ICEServer{URLs: []string{"stun:" + strings.Repeat("h", 1<<20) + ":port"}}
	valid, refused := ValidICEServers([]webrtc.ICEServer{good1, bad, good2, huge})
	require.Equal(t, []webrtc.ICEServer{good1, good2}, valid)
	require.Len(t, refused, 2)
	require.Contains(t, refused[0].Error(), `ICE server 1 ("turn:")`)
	require.Contains(t, refused[0].Error(), "invalid hostname")
	require.Contains(t, refused[1].Error(), "ICE server 3")
	for _, err := range refused {
		require.NotContains(t, err.Error(), "secret-password")
		require.Less(t, len(err.Error()), 400)
	}
}
