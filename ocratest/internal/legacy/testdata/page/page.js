// Drives Sinch's JS SDK 1.4.12 for the tests of package legacy: starts a
// client, places, answers and ends calls, and records what the SDK reports
// (window.peer.events) and what each call hears (a WebAudio analyser).
(function () {
  'use strict';
  var events = [], calls = {}, client, callClient, tone = 0, actx;

  function record(kind, fields) {
    events.push(Object.assign({ kind: kind, t: Math.round(performance.now()) }, fields || {}));
  }
  function audio() {
    if (!actx) actx = new AudioContext();
    return actx;
  }
  // A stream carrying a sine tone: the page's microphone.
  function toneStream() {
    var c = audio(), osc = c.createOscillator(), dst = c.createMediaStreamDestination();
    osc.frequency.value = tone;
    osc.connect(dst);
    osc.start();
    return dst.stream;
  }
  // listen attaches an analyser to what a call receives.
  function listen(call) {
    if (call._analyser || !call.incomingStream) return;
    var c = audio(), an = c.createAnalyser();
    an.fftSize = 4096;
    c.createMediaStreamSource(call.incomingStream).connect(an);
    var el = new Audio(); // Chromium pulls a remote stream only when an element plays it
    el.muted = true;
    el.srcObject = call.incomingStream;
    el.play().catch(function () {});
    call._analyser = an;
  }
  // heard is the dominant frequency between 100 Hz and 3.9 kHz and its level.
  function heard(call) {
    var an = call._analyser;
    if (!an) return { hz: 0, db: -200 };
    var bins = new Float32Array(an.frequencyBinCount), binHz = audio().sampleRate / an.fftSize;
    an.getFloatFrequencyData(bins);
    var best = 0, bestDb = -Infinity;
    for (var i = Math.ceil(100 / binHz); i < Math.min(bins.length, 3900 / binHz); i++) {
      if (bins[i] > bestDb) { bestDb = bins[i]; best = i; }
    }
    return { hz: Math.round(best * binHz), db: Math.round(bestDb) };
  }
  function track(call) {
    calls[call.callId] = call;
    call.addEventListener({
      onCallProgressing: function (c) { record('progressing', { id: c.callId }); },
      onCallEstablished: function (c) { record('established', { id: c.callId }); listen(c); },
      onCallEnded: function (c) {
        var d = c.getDetails();
        record('ended', { id: c.callId, cause: c.getEndCause(), error: d.error ? String(d.error.message) : '' });
      },
      onRemoteTrack: function (c) { listen(c); },
      onConnectionChange: function (c, state) { record('ice', { id: c.callId, state: String(state) }); },
    });
  }

  window.peer = {
    events: events,
    // start makes the client and resolves with its instance id once it is
    // started. o: {appKey, toneHz} and either {user, secret} (the SDK signs
    // the user ticket) or {ticket} (signed by the test, as a backend does);
    // o.api, when given, is the base URL (ending in /v1/) of the API hosts
    // instead of Sinch's names.
    start: function (o) {
      tone = o.toneHz;
      client = new SinchClient({
        urlObj: o.api ? { base: o.api, calling: o.api } : undefined,
        applicationKey: o.appKey,
        applicationSecret: o.secret || undefined,
        capabilities: { calling: true },
        startActiveConnection: true,
        customStream: toneStream(),
        // The MXP messages the SDK sends and gets, decrypted (evidence for
        // the tests' failures).
        onLogMxpMessage: function (m) {
          if (events.length < 2000) record('mxp', { message: String(m && (m.message || JSON.stringify(m))).slice(0, 600) });
        },
        onLogMessage: function (m) {
          if (m && /Error/.test(m.name || '')) record('sdkError', { message: String(m.message) });
        },
      });
      callClient = client.getCallClient();
      callClient.addEventListener({
        onIncomingCall: function (c) {
          track(c);
          record('incoming', { id: c.callId, from: c.getRemoteUserId(), headers: c.getHeaders() || {} });
        },
      });
      return new Promise(function (resolve, reject) {
        client.start(o.ticket ? { userTicket: o.ticket } : { username: o.user }).then(function () {
          record('started', { instance: client._sessionId });
          resolve(client._sessionId);
        }, function (e) {
          reject(new Error('start failed: ' + (e && e.message || e)));
        });
      });
    },
    call: function (user, headers) {
      var c = callClient.callUser(user, headers, toneStream());
      record('placed', { id: c.callId });
      track(c);
      return c.callId;
    },
    answer: function (id) { record('answer', { id: id }); calls[id].answer(); },
    hangup: function (id) { calls[id].hangup(); },
    status: function (id) {
      var c = calls[id];
      if (!c) return null;
      var h = heard(c);
      return { state: c.getState(), cause: c.getEndCause(), hz: h.hz, db: h.db };
    },
    // at is the page time of the first event of kind for call id.
    at: function (kind, id) {
      var e = events.find(function (e) { return e.kind === kind && e.id === id; });
      return e ? e.t : -1;
    },
    has: function (kind, id) {
      return events.some(function (e) { return e.kind === kind && (!id || e.id === id); });
    },
  };
})();
