package sinch

import (
	"context"
	"fmt"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/pubsub"
)

// reconnect brings the realtime connection back after cause took it down.
// With the same instance, each attempt first fetches the instance's
// configuration (a 40400 there means the server lost the instance: a new
// one is registered at once, asking for credentials again) and dials with
// it, resuming where the lost connection stood when its transport knows.
// The listeners hear reconnecting, then reconnected. It returns the error
// that ends the registration when the attempts run out or one fails for
// good, and nil on success or when ctx ends.
//
// Attempts are paced by ReconnectDelay: the first at once, then each after
// ReconnectDelay(streak). The streak is reset only once a connection
// answered a ping (keep), so a server that accepts connections and drops
// them at once meets a growing delay, not a storm; MaxReconnects counts
// the attempts of the streak.
func (k *keeper) reconnect(cause error) *SinchError {
	e, ctx := k.e, k.ctx
	s := e.current()
	inst := s.inst
	resume := s.conn.cursor()
	e.cur.Store(&snapshot{inst: inst}) // publishing fails at once from now
	s.conn.close()
	e.log.Warn("realtime channel lost; reconnecting", "err", cause)
	e.events.reconnecting(cause)

	lostID := inst.creds.InstanceID
	if isGone(cause) {
		inst = nil
	}
	last := requestError("reconnecting", cause)
	limit := e.cfg.maxReconnects
	for {
		if limit >= 0 && k.streak >= limit {
			return &SinchError{Domain: last.Domain, Code: last.Code, Fatal: true,
				Message: fmt.Sprintf("gave up reconnecting after %d attempts (MaxReconnects): %s", limit, last.Message),
				Err:     last.Err}
		}
		if k.streak > 0 && !sleep(ctx, e.cfg.reconnectDelay(k.streak)) {
			return nil
		}
		k.streak++
		next, serr := k.reattach(inst, resume)
		if serr == nil {
			changed := next.creds.InstanceID != lostID
			e.log.Info("realtime channel reconnected", "attempts", k.streak, "instance", next.creds.InstanceID)
			if changed {
				k.cancelTask() // it worked for the lost instance
			}
			k.schedule(next)
			e.calls.ChannelRestored(changed)
			e.events.reconnected()
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if inst != nil && isGone(serr) {
			e.log.Info("the instance is gone; registering a new one", "instance", inst.creds.InstanceID)
			inst, resume = nil, nil
			k.streak-- // at once, and not counted
			continue
		}
		if serr.Fatal {
			return serr
		}
		last = serr
		e.log.Info("reconnect attempt failed", "attempt", k.streak, "err", serr)
	}
}

// reattach connects inst again, with its configuration fetched anew, or
// registers a new instance when inst is nil, and publishes the result.
func (k *keeper) reattach(inst *instance, resume *pubsub.Cursor) (*instance, *SinchError) {
	e, ctx := k.e, k.ctx
	if inst == nil {
		inst, conn, serr := e.register(ctx)
		if serr != nil {
			return nil, serr
		}
		e.cur.Store(&snapshot{inst: inst, conn: conn})
		return inst, nil
	}
	cfg, err := e.rest.Config(ctx, inst.creds)
	if err != nil {
		return nil, requestError("reconnecting: fetching the configuration", err)
	}
	inst, serr := inst.withConfig(cfg)
	if serr != nil {
		return nil, serr
	}
	if inst.iceStale {
		inst = e.fetchICEServers(ctx, inst)
	}
	conn, err := e.connect(ctx, inst, resume)
	if err != nil {
		return nil, requestError("reconnecting the realtime channel", err)
	}
	e.cur.Store(&snapshot{inst: inst, conn: conn})
	return inst, nil
}

// sleep waits d and reports whether it did, rather than being ended by ctx.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
