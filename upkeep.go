package sinch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Bounds of the extension rate: two extensions are at least
// minExtendInterval apart, and the least interval doubles (up to
// maxExtendInterval) while the server's answers ask for another extension
// at once, which only a clock or a configuration that makes no sense does.
const (
	minExtendInterval = time.Second
	maxExtendInterval = time.Hour
)

// keeper is the state of one registration's upkeep, owned by the run
// goroutine: what is due when, the task in progress and the reconnect
// backoff.
type keeper struct {
	e   *engine
	ctx context.Context

	// streak counts reconnect attempts since the last connection that
	// held: one that answered its first ping, PingInterval after it
	// opened. A connection that drops before does not reset the backoff
	// (flapping servers).
	streak int

	extendAt    time.Time     // local clock
	refreshAt   time.Time     // local clock
	extendEvery time.Duration // the least interval between extensions

	// failures counts the upkeep tasks that failed in a row for reasons
	// that may pass; the next runs at retryAt.
	failures int
	retryAt  time.Time

	task  *upkeepTask // in progress, nil when none
	tasks sync.WaitGroup
}

// upkeepTask is an extension or a configuration refresh running on its
// own goroutine, so that pings and reconnects go on while the application
// takes its time to hand over a token.
type upkeepTask struct {
	extension bool // else a configuration refresh
	instID    string
	cancel    context.CancelFunc
	done      chan upkeepResult // buffered: the task never blocks on it
}

// upkeepResult is the outcome of a task: apply changes the current
// instance (nil on error).
type upkeepResult struct {
	apply func(*instance) *instance
	err   error
}

// keep keeps a registered client registered until ctx ends: it pings the
// realtime connection, extends the instance before it expires, refreshes
// the configuration, and recovers from a lost connection or instance. It
// returns the error that ends the registration (nil when ctx ended).
func (e *engine) keep(ctx context.Context) *SinchError {
	k := &keeper{e: e, ctx: ctx}
	defer k.tasks.Wait()
	defer k.cancelTask()
	k.schedule(e.current().inst)
	ping := time.NewTicker(e.cfg.pingInterval)
	defer ping.Stop()
	for {
		s := e.current()
		var due <-chan time.Time
		var done <-chan upkeepResult
		var timer *time.Timer
		if k.task == nil {
			timer = time.NewTimer(time.Until(k.nextDue()))
			due = timer.C
		} else {
			done = k.task.done // the next task is planned when it ends
		}
		var lost error
		select {
		case <-ctx.Done():
		case <-s.conn.conn.Done():
			lost = s.conn.conn.Err()
		case <-ping.C:
			if lost = e.ping(ctx, s.conn); lost == nil {
				k.streak = 0 // the connection holds
			}
		case <-due:
			k.startTask(s.inst)
		case r := <-done:
			lost = k.finishTask(r)
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
		if lost == nil {
			continue
		}
		var serr *SinchError
		if errors.As(lost, &serr) && serr.Fatal && !isGone(lost) {
			return serr
		}
		if serr := k.reconnect(lost); serr != nil || ctx.Err() != nil {
			return serr
		}
		// The new connection's first ping comes PingInterval after it
		// opened: a connection that answers it has held that long.
		ping.Reset(e.cfg.pingInterval)
	}
}

// schedule plans the upkeep of a new or re-fetched instance.
func (k *keeper) schedule(inst *instance) {
	now := time.Now()
	k.extendEvery = minExtendInterval
	k.scheduleExtension(inst, now)
	k.refreshAt = now.Add(inst.refreshInterval())
	k.failures = 0
}

// scheduleExtension plans the next extension of inst, judged on the
// server's clock, and bounds the extension rate.
func (k *keeper) scheduleExtension(inst *instance, now time.Time) {
	serverNow := k.e.rest.ServerNow()
	in, assumed := inst.extendIn(serverNow)
	if assumed {
		k.e.log.Warn("the server's expireAt of the instance is missing or past; assuming it lives a day (check the system clock)",
			"expireAt", inst.expireAt, "serverNow", serverNow)
	}
	if in < k.extendEvery {
		k.e.log.Warn("the instance would need another extension at once; waiting (check the system clock)",
			"expireAt", inst.expireAt, "wait", k.extendEvery)
		in = k.extendEvery
		k.extendEvery = min(2*k.extendEvery, maxExtendInterval)
	} else {
		k.extendEvery = minExtendInterval
	}
	k.extendAt = now.Add(in)
}

// nextDue is when the next task runs.
func (k *keeper) nextDue() time.Time {
	if k.failures > 0 {
		return k.retryAt
	}
	if k.extendAt.Before(k.refreshAt) {
		return k.extendAt
	}
	return k.refreshAt
}

// startTask starts the extension when it is due, else the refresh.
func (k *keeper) startTask(inst *instance) {
	ctx, cancel := context.WithCancel(k.ctx)
	t := &upkeepTask{instID: inst.creds.InstanceID, cancel: cancel, done: make(chan upkeepResult, 1)}
	run := k.e.refresh
	if t.extension = !time.Now().Before(k.extendAt); t.extension {
		run = k.e.extend
	}
	k.task = t
	k.tasks.Add(1)
	go func() {
		defer k.tasks.Done()
		t.done <- run(ctx, inst)
	}()
}

// cancelTask stops the task in progress, if any; its result is dropped.
func (k *keeper) cancelTask() {
	if k.task != nil {
		k.task.cancel()
		k.task = nil
	}
}

// finishTask applies a task's result. A failure that may pass (network,
// 5xx) is retried with the reconnect backoff, and returned only once
// MaxReconnects retries failed; an extension that got no token is retried
// while the instance is valid; other failures are returned at once.
func (k *keeper) finishTask(r upkeepResult) error {
	t := k.task
	k.cancelTask()
	s := k.e.current()
	if s.inst.creds.InstanceID != t.instID {
		return nil // a task of an instance replaced meanwhile
	}
	if r.err == nil {
		inst := r.apply(s.inst)
		k.e.cur.Store(&snapshot{inst: inst, conn: s.conn})
		now := time.Now()
		if t.extension {
			k.scheduleExtension(inst, now)
		} else {
			k.refreshAt = now.Add(inst.refreshInterval())
		}
		k.failures = 0
		return nil
	}
	var serr *SinchError
	if !errors.As(r.err, &serr) {
		return r.err
	}
	switch {
	case errors.Is(serr, errNoCredentials):
		if !s.inst.validAt(k.e.rest.ServerNow()) {
			return &SinchError{Domain: errs.Session, Err: errs.Described(errInstanceExpired),
				Message: "the instance expired before the application handed over a token to extend it: " + serr.Message}
		}
		k.failures++
		delay := k.e.cfg.reconnectDelay(k.failures)
		k.retryAt = time.Now().Add(delay)
		k.e.log.Warn("no token to extend the instance; asking again later", "retryIn", delay, "expireAt", s.inst.expireAt)
		return nil
	case serr.Fatal:
		return serr
	}
	k.failures++
	if limit := k.e.cfg.maxReconnects; limit >= 0 && k.failures > limit {
		return &SinchError{Domain: serr.Domain, Code: serr.Code, Fatal: true,
			Message: fmt.Sprintf("gave up after %d retries (MaxReconnects): %s", k.failures-1, serr.Message), Err: serr.Err}
	}
	delay := k.e.cfg.reconnectDelay(k.failures)
	k.retryAt = time.Now().Add(delay)
	k.e.log.Warn("instance upkeep failed; retrying", "err", serr, "retryIn", delay)
	return nil
}

// ping checks the realtime connection: a ping must be answered within
// RequestTimeout.
func (e *engine) ping(ctx context.Context, ch *channel) error {
	if err := ch.conn.Ping(ctx); err != nil { // the transport bounds it
		return fmt.Errorf("sinch: realtime channel did not answer a ping within %v: %w", e.cfg.requestTimeout, err)
	}
	return nil
}

// extend asks for a fresh token and extends the instance's lifetime.
func (e *engine) extend(ctx context.Context, inst *instance) upkeepResult {
	jwt, serr := e.credentials(ctx)
	if serr != nil {
		return upkeepResult{err: serr}
	}
	resp, err := e.rest.ExtendInstance(ctx, jwt, inst.creds.InstanceID)
	if err != nil {
		return upkeepResult{err: requestError("extending the instance", err)}
	}
	e.log.Info("instance extended", "expireAt", resp.ExpireAt)
	return upkeepResult{apply: func(cur *instance) *instance {
		next := *cur
		next.expireAt = resp.ExpireAt
		return &next
	}}
}

// refresh fetches the instance's configuration, and its ICE servers when
// it has turn.2 (a failure of those is logged, never returned).
func (e *engine) refresh(ctx context.Context, inst *instance) upkeepResult {
	cfg, err := e.rest.Config(ctx, inst.creds)
	if err != nil {
		return upkeepResult{err: requestError("refreshing the configuration", err)}
	}
	withICE := e.fetchICEServers(ctx, inst)
	e.log.Debug("configuration refreshed")
	return upkeepResult{apply: func(cur *instance) *instance {
		next := cur.withTiming(cfg)
		next.iceServers, next.iceStale = withICE.iceServers, withICE.iceStale
		return next
	}}
}

// errInstanceExpired: the instance expired, by the server's clock, before
// it could be extended. The cure is a new instance.
var errInstanceExpired = errors.New("sinch: the instance expired before it could be extended")

// isGone reports whether err says the instance is gone: the server
// answered 40400 for it (deleted, expired or forgotten), or it expired
// before it could be extended. The cure is a new instance.
func isGone(err error) bool {
	var apiErr *ocra.APIError
	return errors.Is(err, errInstanceExpired) || errors.As(err, &apiErr) && apiErr.Code == ocra.CodeNotFound
}
