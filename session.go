package sinch

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/session"
	"github.com/sinch-rtc-go/sinch/video"
)

// clientSession is the client as its call engine sees it (session.Session),
// kept apart so that SinchClient exports only the public API. What it says
// of the registration comes from the engine's snapshot: one immutable
// value, so that the instance's id, key, channels and credentials always
// belong together.
type clientSession struct{ c *SinchClient }

var _ session.Session = clientSession{}

func (s clientSession) UserID() string              { return s.c.settings.userID }
func (s clientSession) CallerIdentifier() string    { return s.c.settings.callerIdentifier }
func (s clientSession) DeviceID() string            { return s.c.settings.deviceID }
func (s clientSession) ClientVersion() ocra.Version { return sdkVersion() }
func (s clientSession) Done() <-chan struct{}       { return s.c.done }
func (s clientSession) Post(f func()) bool          { return s.c.queue.Post(f) }
func (s clientSession) Logger() *slog.Logger        { return s.c.log }
func (s clientSession) API() *webrtc.API            { return s.c.api }
func (s clientSession) AudioMuted() bool            { return s.c.audioController.IsMuted() }

func (s clientSession) AudioSource(callID string) audio.Source {
	return s.c.defaults.audio.SourceFor(callID)
}

func (s clientSession) AudioSink(callID string) audio.Sink {
	return s.c.defaults.audio.SinkFor(callID)
}

func (s clientSession) VideoSource(callID string) video.Source {
	return s.c.defaults.video.SourceFor(callID)
}

func (s clientSession) VideoSink(callID string) video.Sink {
	return s.c.defaults.video.SinkFor(callID)
}

func (s clientSession) DisplayName() string {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.c.displayName
}

func (s clientSession) Ready() error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	switch s.c.state {
	case stateStarted:
		return nil
	case stateTerminated:
		return ErrClientTerminated
	}
	return ErrNotStarted
}

// instance returns the registered instance, nil when there is none.
func (s clientSession) instance() *instance {
	if snap := s.c.reg.current(); snap != nil {
		return snap.inst
	}
	return nil
}

func (s clientSession) InstanceID() string {
	if inst := s.instance(); inst != nil {
		return inst.creds.InstanceID
	}
	return ""
}

func (s clientSession) InstanceKey() []byte {
	if inst := s.instance(); inst != nil {
		return inst.key
	}
	return nil
}

func (s clientSession) SignalChannel() string {
	if inst := s.instance(); inst != nil {
		return inst.config.RTCProfile.SignalChannel
	}
	return ""
}

func (s clientSession) REST() (*ocra.Client, ocra.Credentials) {
	if inst := s.instance(); inst != nil {
		return s.c.reg.rest, inst.creds
	}
	return s.c.reg.rest, ocra.Credentials{}
}

// PCMUOnly is the builder's PCMUOnly.
func (s clientSession) PCMUOnly() bool { return s.c.settings.pcmuOnly }

// OpusComplexity is the builder's OpusComplexity (0: the default).
func (s clientSession) OpusComplexity() int { return s.c.settings.opusComplexity }

// PeerConfig is the builder's ICE servers, then the server's, and the
// builder's ICETransportPolicy, or relay when the server's configuration
// says so (the stricter wins).
func (s clientSession) PeerConfig() webrtc.Configuration {
	servers := append([]webrtc.ICEServer(nil), s.c.settings.iceServers...)
	policy := s.c.settings.iceTransportPolicy
	if inst := s.instance(); inst != nil {
		servers = append(servers, inst.iceServers...)
		if inst.config.ICETransportPolicy == "relay" {
			policy = webrtc.ICETransportPolicyRelay
		}
	}
	return webrtc.Configuration{ICEServers: servers, ICETransportPolicy: policy}
}

func (s clientSession) Timeouts() session.Timeouts {
	b := &s.c.settings
	return session.Timeouts{
		OutboundNoAnswer: b.outboundNoAnswer,
		InboundNoAnswer:  b.inboundNoAnswer,
		Setup:            b.callSetupTimeout,
		MediaInactive:    b.mediaInactiveTimeout,
	}
}

// channel returns the realtime connection, nil while there is none.
func (s clientSession) channel() *channel {
	if snap := s.c.reg.current(); snap != nil {
		return snap.conn
	}
	return nil
}

func (s clientSession) Connected() bool { return s.channel() != nil }

func (s clientSession) Publish(ctx context.Context, channel, message string) error {
	ch := s.channel()
	if ch == nil {
		return session.ErrNoChannel
	}
	if err := ch.conn.Publish(ctx, channel, message); err != nil {
		return fmt.Errorf("publishing to %s: %w", channel, err)
	}
	return nil
}
