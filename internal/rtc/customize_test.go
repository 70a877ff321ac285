package rtc

import (
	"testing"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCustomizeRunsAfterTheDefaults moves a Loopback peer connection onto a
// virtual network: the hook's settings replace the Loopback restrictions,
// so the only host candidate is the virtual address, not 127.0.0.1.
func TestCustomizeRunsAfterTheDefaults(t *testing.T) {
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	require.NoError(t, err)
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.5"}})
	require.NoError(t, err)
	require.NoError(t, wan.AddNet(nw))
	require.NoError(t, wan.Start())
	defer func() { require.NoError(t, wan.Stop()) }()

	calls := 0
	api, err := NewAPI(Config{Loopback: true, Customize: func(s *webrtc.SettingEngine) {
		calls++
		s.SetNet(nw)
		s.SetInterfaceFilter(func(name string) bool { return name == "eth0" })
		s.SetIPFilter(nil)
	}})
	require.NoError(t, err)
	assert.Equal(t, 1, calls)

	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	defer func() { require.NoError(t, pc.Close()) }()
	_, err = pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio)
	require.NoError(t, err)
	offer, err := pc.CreateOffer(nil)
	require.NoError(t, err)
	gathered := webrtc.GatheringCompletePromise(pc)
	require.NoError(t, pc.SetLocalDescription(offer))
	<-gathered
	sdp := pc.LocalDescription().SDP
	assert.Contains(t, sdp, " 10.0.0.5 ", "a host candidate on the virtual network")
	assert.NotContains(t, sdp, " 127.0.0.1 ", "the Loopback filter was replaced")
}
