// A browser client of the fake Ocra server, for interop tests with the Go
// SDK: it registers as the SDK does (registration token, instance, the
// realtime channel over PubNub, through the official PubNub JS SDK that the
// test injects), speaks MXP v10 sealed with AES-CBC through WebCrypto,
// and makes and answers app-to-app calls with RTCPeerConnection. It sends a
// WebAudio tone (and, in video calls, an animated canvas as its camera) and
// measures what it receives. Everything a test needs to read is in
// sinchPage.status, mirrored as JSON in the page's #status element.
'use strict';

const OCRA_PATH = '/ocra/v1';
const CONTENT_TYPE_JSON = 'application/json; charset=UTF-8';
const MXP_VERSION = 10;
const MXP_SUB_INSTANCE = '0'; // every client's sub-instance id, as in the Go SDK
const MXP = {INVITE: 1, ACK: 2, JOIN: 3, JOINED: 4, LEAVE: 5, DENY: 6, CANCEL: 7, ERROR: 9, PEER_EVENT: 10};
// Messages of a call that arrive before its session key is known wait, up
// to this many per call: a caller's ICE candidates can overtake its Invite,
// and a callee's Ack can overtake the answer to POST /calls.
const MAX_EARLY = 64;

const utf8 = new TextEncoder();
const fromUTF8 = new TextDecoder();

function toBase64(bytes) {
  let s = '';
  for (const b of bytes) {
    s += String.fromCharCode(b);
  }
  return btoa(s);
}

function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    out[i] = bin.charCodeAt(i);
  }
  return out;
}

// ---- Request signing (protocol.md section 2) ----

const signing = {
  // contentMD5 is base64(MD5(body)), or '' for an empty body.
  contentMD5(body) {
    return body.length === 0 ? '' : toBase64(md5(body));
  },
  stringToSign(method, contentMD5, contentType, timestamp, pathWithQuery) {
    return [method, contentMD5, contentType, 'x-timestamp:' + timestamp, pathWithQuery].join('\n');
  },
  // signature is base64(HMAC-SHA256(secret, stringToSign)).
  async signature(secret, stringToSign) {
    const key = await crypto.subtle.importKey('raw', secret, {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);
    return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(stringToSign))));
  },
  // authorization returns the Authorization value and x-timestamp of a
  // request signed by an instance. toISOString is RFC 3339 UTC with
  // milliseconds, the x-timestamp format.
  async authorization(instanceId, secret, method, body, contentType, pathWithQuery) {
    const timestamp = new Date().toISOString();
    const sts = this.stringToSign(method, this.contentMD5(body), contentType, timestamp, pathWithQuery);
    return {authorization: 'instance ' + instanceId + ':' + await this.signature(secret, sts), timestamp};
  },
};

// ---- REST ----

class OcraError extends Error {
  constructor(status, body) {
    super('Ocra answered ' + status + ': ' + body);
    this.status = status;
  }
}

async function checkResponse(resp) {
  if (!resp.ok) {
    throw new OcraError(resp.status, await resp.text());
  }
  return resp.status === 204 ? null : resp.json();
}

class Rest {
  constructor(origin) {
    this.origin = origin;
  }

  async createInstance(token, userId) {
    const resp = await fetch(this.origin + OCRA_PATH + '/instances', {
      method: 'POST',
      headers: {'Authorization': 'Bearer ' + token, 'Content-Type': CONTENT_TYPE_JSON},
      body: JSON.stringify({
        userId,
        deviceId: 'browser-' + crypto.randomUUID(),
        capabilities: ['audio', 'video'],
        version: {os: navigator.platform, platform: 'browser', sdk: 'ocratest-web'},
      }),
    });
    const created = await checkResponse(resp);
    this.instanceId = created.instance.id;
    this.secret = fromBase64(created.instance.secret);
    return created;
  }

  // signed sends an instance-signed request; a body is sent as JSON with
  // its Content-MD5.
  async signed(method, path, value) {
    const body = value === undefined ? new Uint8Array(0) : utf8.encode(JSON.stringify(value));
    const contentType = body.length ? CONTENT_TYPE_JSON : '';
    const auth = await signing.authorization(this.instanceId, this.secret, method, body, contentType, OCRA_PATH + path);
    const headers = {'Authorization': auth.authorization, 'x-timestamp': auth.timestamp};
    if (body.length) {
      headers['Content-Type'] = contentType;
      headers['Content-MD5'] = signing.contentMD5(body);
    }
    const resp = await fetch(this.origin + OCRA_PATH + path, {method, headers, body: body.length ? body : undefined});
    return checkResponse(resp);
  }
}

// ---- Realtime channel: PubNub (real-wire.md section 1) ----
//
// The page speaks PubNub through the official PubNub JavaScript SDK (npm
// "pubnub", its browser build), which the test injects as the global
// PubNub before this script runs (docs/browser.md). There are two PubNub
// clients, as in Sinch's SDKs: the broadcast network (subscribe key only;
// Invites arrive there) and the signal network (subscribe and publish keys;
// everything after the Invite). Messages are MXP frames, sent as JSON
// strings.

// pubnubOrigin returns the SDK's origin (host:port) and ssl setting for
// mxpPubSubConfig: TLS unless the hostname is written http://.
function pubnubOrigin(ps) {
  const m = /^([a-z]+):\/\/(.*)$/i.exec(ps.hostname);
  let host = (m ? m[2] : ps.hostname).replace(/\/$/, '');
  if (ps.port > 0 && !/^(\[[^\]]*\]|[^:]*):\d+$/.test(host)) { // no port in the hostname
    host = (host.includes(':') && !host.startsWith('[') ? '[' + host + ']' : host) + ':' + ps.port;
  }
  return {origin: host, ssl: !(m && m[1].toLowerCase() === 'http')};
}

class Realtime {
  // onMessage(channel, frame) gets every message of both networks, in the
  // order each network delivers them.
  constructor(pubSubConfig, userId, onMessage) {
    if (typeof PubNub !== 'function') {
      throw new Error('the PubNub JS SDK is not loaded: the page needs the global PubNub (docs/browser.md)');
    }
    const ps = pubSubConfig;
    const {origin, ssl} = pubnubOrigin(ps);
    this.onMessage = onMessage;
    this.broadcast = new PubNub({origin, ssl, userId, subscribeKey: ps.broadcastSubscribeKey});
    this.signal = new PubNub({origin, ssl, userId, subscribeKey: ps.signalSubscribeKey, publishKey: ps.signalPublishKey});
  }

  // subscribe subscribes each network to its channel and resolves once
  // both are connected.
  subscribe(broadcastChannel, signalChannel) {
    return Promise.all([this.listen(this.broadcast, broadcastChannel), this.listen(this.signal, signalChannel)]);
  }

  listen(pn, channel) {
    return new Promise((resolve, reject) => {
      let connected = false;
      pn.addListener({
        status: (s) => {
          if (s.category === 'PNConnectedCategory' && !connected) {
            connected = true;
            resolve();
          } else if (s.error && !connected) {
            reject(new Error('realtime channel: subscribing failed (' + s.category + ')'));
          }
        },
        message: (m) => this.onMessage(m.channel, m.message),
      });
      pn.subscribe({channels: [channel]});
    });
  }

  // publish sends an MXP frame on the signal network and resolves when
  // the origin accepts it.
  async publish(channel, frame) {
    await this.signal.publish({channel, message: frame});
  }
}

// ---- MXP v10 (protocol.md section 5 as amended by real-wire.md section 2) ----

const mxp = {
  async aesKey(raw) {
    return crypto.subtle.importKey('raw', raw, {name: 'AES-CBC'}, false, ['encrypt', 'decrypt']);
  },

  // seal returns base64(IV || AES-CBC-PKCS7(key, JSON of message)).
  async seal(rawKey, message) {
    const iv = crypto.getRandomValues(new Uint8Array(16));
    const cipher = await crypto.subtle.encrypt({name: 'AES-CBC', iv}, await this.aesKey(rawKey), utf8.encode(JSON.stringify(message)));
    const out = new Uint8Array(16 + cipher.byteLength);
    out.set(iv);
    out.set(new Uint8Array(cipher), 16);
    return toBase64(out);
  },

  async open(rawKey, payload) {
    const raw = fromBase64(payload);
    const plain = await crypto.subtle.decrypt({name: 'AES-CBC', iv: raw.subarray(0, 16)}, await this.aesKey(rawKey), raw.subarray(16));
    const message = JSON.parse(fromUTF8.decode(plain));
    if (message.bv !== undefined && message.bv !== 0 && message.bv !== MXP_VERSION) { // bv may be missing (2.x)
      throw new Error('MXP message of version ' + message.bv);
    }
    return message;
  },

  // partLen is Sinch's part size: 1500 - len(sessionId) - len(transportId) - 15,
  // the transport id being the frame's message id field.
  partLen(sessionId, msgId) {
    return 1500 - sessionId.length - String(msgId).length - 15;
  },

  // split cuts a payload into frames whose parts keep to partLen.
  split(sessionId, payload) {
    if (payload.length <= this.partLen(sessionId, '-')) {
      return [[MXP_VERSION, sessionId, '-', 0, 1, payload].join(' ')];
    }
    const msgId = 1 + Math.floor(Math.random() * 0x7ffffffe);
    const n = this.partLen(sessionId, msgId);
    const total = Math.ceil(payload.length / n);
    const frames = [];
    for (let i = 0; i < total; i++) {
      frames.push([MXP_VERSION, sessionId, msgId, i, total, payload.slice(i * n, (i + 1) * n)].join(' '));
    }
    return frames;
  },

  // carriesTo: Leave, Cancel and Joined carry no nvps.to.
  carriesTo(method) {
    return method !== MXP.LEAVE && method !== MXP.CANCEL && method !== MXP.JOINED;
  },

  // sender returns the instance id of a message's sender: fd, else fi's.
  sender(m) {
    return m.fd || (m.fi || '').replace(/:[^:]*$/, '');
  },

  parseFrame(text) {
    const f = text.split(' ');
    if (f.length !== 6 || f[0] !== String(MXP_VERSION)) {
      throw new Error('not an MXP v10 frame');
    }
    const part = Number(f[3]);
    const total = Number(f[4]);
    if (!Number.isInteger(part) || !Number.isInteger(total) || part < 0 || part >= total || total > 128) {
      throw new Error('MXP frame with part ' + f[3] + ' of ' + f[4]);
    }
    return {sessionId: f[1], msgId: f[2], part, total, data: f[5]};
  },
};

// Reassembler joins the parts of multi-part MXP messages.
class Reassembler {
  constructor() {
    this.partial = new Map(); // sessionId + msgId -> parts
  }

  // add returns the whole payload once every part of its message is in.
  add(f) {
    if (f.total === 1) {
      return f.data;
    }
    const id = f.sessionId + ' ' + f.msgId;
    const parts = this.partial.get(id) || new Array(f.total);
    parts[f.part] = f.data;
    this.partial.set(id, parts);
    if (parts.filter((p) => p !== undefined).length < f.total) {
      return null;
    }
    this.partial.delete(id);
    return parts.join('');
  }
}

// ---- Local media ----

// Media is the page's microphone (an oscillator) and camera (a canvas).
class Media {
  constructor(toneHz) {
    this.audioContext = new AudioContext();
    this.oscillator = new OscillatorNode(this.audioContext, {frequency: toneHz});
    const destination = new MediaStreamAudioDestinationNode(this.audioContext);
    this.oscillator.connect(destination);
    this.oscillator.start();
    this.audioTrack = destination.stream.getAudioTracks()[0];
  }

  async resume() {
    await this.audioContext.resume();
  }

  // videoTrack is an animated canvas: each frame differs from the last so
  // that the encoder keeps sending.
  videoTrack() {
    if (!this.camera) {
      const canvas = document.getElementById('camera');
      const g = canvas.getContext('2d');
      let n = 0;
      setInterval(() => {
        n++;
        g.fillStyle = 'hsl(' + (n * 7) % 360 + ', 80%, 50%)';
        g.fillRect(0, 0, canvas.width, canvas.height);
        g.fillStyle = 'white';
        g.fillRect((n * 4) % canvas.width, 100, 40, 40);
      }, 33);
      this.camera = canvas.captureStream(30).getVideoTracks()[0];
    }
    return this.camera;
  }

  // listen measures the dominant frequency of a remote audio track into
  // stats, every 100 ms, until stop is called.
  listen(track, stats) {
    // Chromium routes remote WebRTC audio into WebAudio only while the
    // stream also plays in a media element.
    const stream = new MediaStream([track]);
    const element = new Audio();
    element.muted = true;
    element.srcObject = stream;
    element.play().catch(() => {});
    const source = this.audioContext.createMediaStreamSource(stream);
    const analyser = new AnalyserNode(this.audioContext, {fftSize: 8192, smoothingTimeConstant: 0.5});
    source.connect(analyser);
    const bins = new Float32Array(analyser.frequencyBinCount);
    const binHz = this.audioContext.sampleRate / analyser.fftSize;
    const timer = setInterval(() => {
      analyser.getFloatFrequencyData(bins);
      // Look between 100 Hz and 20 kHz: Opus carries up to 20 kHz
      // (PCMU up to 4 kHz), and the wideband tests send 6 kHz.
      let best = Math.ceil(100 / binHz);
      for (let i = best; i < Math.min(bins.length, 20000 / binHz); i++) {
        if (bins[i] > bins[best]) {
          best = i;
        }
      }
      stats.rxToneHz = Math.round(best * binHz);
      stats.rxToneDb = Math.round(bins[best]);
    }, 100);
    return () => {
      clearInterval(timer);
      source.disconnect();
      element.srcObject = null;
    };
  }
}

// ---- Calls ----

// preferPCMU puts PCMU first in what an audio transceiver offers. Chromium
// offers Opus first, and the Go SDK answers with the offer's order but
// decodes only PCMU.
function preferPCMU(transceiver) {
  const codecs = RTCRtpReceiver.getCapabilities('audio').codecs;
  const isPCMU = (c) => c.mimeType.toLowerCase() === 'audio/pcmu';
  transceiver.setCodecPreferences([...codecs.filter(isPCMU), ...codecs.filter((c) => !isPCMU(c))]);
}

// Call is one app-to-app call and its peer connection. Its status object is
// what the test reads.
class Call {
  constructor(client, {id, direction, remoteUser, video}) {
    this.client = client;
    this.id = id;
    this.video = video;
    this.remoteUser = remoteUser;
    this.peer = null; // {instance, fi, channel} of the other side, once known
    this.earlyJoins = new Set(); // caller: devices whose Join came before their Ack
    this.key = null; // the session key
    this.answered = false;
    this.localCandidates = []; // gathered before the session key is known
    this.remoteCandidates = []; // received before the remote description
    this.stoppers = [];
    this.started = performance.now();
    this.status = {
      id, direction, remoteUser, video,
      state: 'initiating', endCause: 'none',
      setupMs: null, rxToneHz: null, rxToneDb: null,
      rxAudioPackets: 0, rxAudioCodec: null, rxVideoFrames: 0, videoWidth: 0, videoHeight: 0,
    };
  }

  setState(state) {
    this.status.state = state;
    this.client.render();
  }

  newPeerConnection() {
    const pc = new RTCPeerConnection({iceServers: this.client.iceServers});
    this.pc = pc;
    pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) {
        const {candidate, sdpMid, sdpMLineIndex} = e.candidate;
        this.onLocalCandidate({candidate, sdpMid, sdpMLineIndex});
      }
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') {
        this.maybeEstablish();
      } else if (pc.connectionState === 'failed' && this.answered) {
        this.end('Failure');
      }
    };
    pc.ontrack = (e) => this.onTrack(e.track);
    const statsTimer = setInterval(() => this.readStats(), 250);
    this.stoppers.push(() => clearInterval(statsTimer));
    return pc;
  }

  // addLocalTracks adds the page's tone and, in video calls, its camera. A
  // callee's tracks go to the transceivers of the caller's offer.
  addLocalTracks() {
    const media = this.client.media;
    const tracks = this.video ? [media.audioTrack, media.videoTrack()] : [media.audioTrack];
    for (const track of tracks) {
      if (this.status.direction === 'inbound') {
        this.pc.addTrack(track);
        continue;
      }
      const transceiver = this.pc.addTransceiver(track, {direction: 'sendrecv'});
      if (track.kind === 'audio') {
        preferPCMU(transceiver);
      }
    }
  }

  onTrack(track) {
    if (track.kind === 'audio') {
      this.stoppers.push(this.client.media.listen(track, this.status));
      return;
    }
    const element = document.getElementById('remote-video');
    element.srcObject = new MediaStream([track]);
    element.play().catch(() => {});
    const timer = setInterval(() => {
      this.status.videoWidth = element.videoWidth;
      this.status.videoHeight = element.videoHeight;
    }, 100);
    this.stoppers.push(() => {
      clearInterval(timer);
      element.srcObject = null;
    });
  }

  async readStats() {
    let report;
    try {
      report = await this.pc.getStats();
    } catch {
      return; // the call ended meanwhile: the peer connection is closed
    }
    for (const s of report.values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        this.status.rxAudioPackets = s.packetsReceived;
        const codec = report.get(s.codecId);
        this.status.rxAudioCodec = codec ? codec.mimeType : null;
      } else if (s.type === 'inbound-rtp' && s.kind === 'video') {
        this.status.rxVideoFrames = s.framesDecoded || 0;
      }
    }
    this.client.render();
  }

  // message builds an MXP message from this instance to the device whose
  // fi is `to` ('' or a method without it: no nvps.to).
  message(method, to, bodyType, body) {
    const c = this.client;
    // No fsi: Sinch's 1.x SDK names a sender fi + fsi (docs/sinch-rtc-1x.md).
    const m = {md: method, bv: MXP_VERSION, fu: c.userId, fi: c.fi(), fd: c.instanceId,
      fs: c.signalChannel, fc: ''};
    if (to && mxp.carriesTo(method)) {
      m.nvps = {to};
    }
    if (bodyType) {
      m.bt = bodyType;
      m.bd = body;
    }
    return m;
  }

  // learn updates the peer's channel and fi from a message it sent.
  learn(m) {
    if (m.fs) {
      this.peer.channel = m.fs;
    }
    if (m.fi && mxp.sender({fi: m.fi}) === this.peer.instance) {
      this.peer.fi = m.fi;
    }
  }

  async send(channel, to, method, bodyType, body) {
    const payload = await mxp.seal(this.key, this.message(method, to, bodyType, body));
    for (const frame of mxp.split(this.id, payload)) {
      await this.client.realtime.publish(channel, frame);
    }
  }

  // sendToPeer sends to the answering device once there is one; before
  // that, a caller reaches every device of the callee on the call's signal
  // channel, addressed to none.
  sendToPeer(method, bodyType, body) {
    if (this.peer && (this.answered || this.status.direction === 'inbound')) {
      return this.send(this.peer.channel, this.peer.fi, method, bodyType, body);
    }
    return this.send(this.virtual, '', method, bodyType, body);
  }

  onLocalCandidate(candidate) {
    if (!this.key) {
      this.localCandidates.push(candidate);
      return;
    }
    this.sendToPeer(MXP.PEER_EVENT, 'sdp', JSON.stringify(candidate)).catch((e) => this.client.error(e));
  }

  async addRemoteCandidate(body) {
    const c = JSON.parse(body);
    const init = {candidate: c.candidate || c.cand, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex ?? c.sdpMLI};
    if (this.pc.signalingState === 'closed') {
      return; // the call has ended here: a late candidate of the peer is moot
    }
    if (!this.pc.remoteDescription) {
      this.remoteCandidates.push(init);
      return;
    }
    await this.pc.addIceCandidate(init);
  }

  async setRemoteDescription(description) {
    await this.pc.setRemoteDescription(description);
    for (const c of this.remoteCandidates.splice(0)) {
      await this.pc.addIceCandidate(c);
    }
  }

  // startOutbound offers, asks the server to route the call and sends the
  // candidates gathered meanwhile.
  async startOutbound() {
    this.newPeerConnection();
    this.addLocalTracks();
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const resp = await this.client.rest.signed('POST', '/calls', {
      callId: this.id,
      destination: {domain: 'mxp', type: 'userId', identity: this.remoteUser},
      sdp: {type: 'offer', sdp: this.pc.localDescription.sdp},
      video: this.video,
      publicCallHeaders: {},
    });
    // The key is taken between two messages: those that came before it
    // were kept, and are handled first, in order.
    await this.client.enqueue(async () => {
      this.key = fromBase64(resp.mxpEncryptionKey);
      this.virtual = resp.mxpSignalChannel;
      this.setState('progressing');
      await this.client.replayEarly(this);
    });
    for (const c of this.localCandidates.splice(0)) {
      this.onLocalCandidate(c);
    }
  }

  // startInbound answers an Invite at the WebRTC level and acknowledges it:
  // the call rings until answer or hangup.
  async startInbound(invite) {
    this.key = fromBase64(invite.nvps.key);
    this.peer = {instance: mxp.sender(invite), fi: invite.fi, channel: invite.fs};
    this.newPeerConnection();
    await this.setRemoteDescription(JSON.parse(invite.nvps.sdp));
    this.addLocalTracks();
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    const {type, sdp} = this.pc.localDescription;
    await this.sendToPeer(MXP.ACK, 'sdp', JSON.stringify({type, sdp}));
    for (const c of this.localCandidates.splice(0)) {
      this.onLocalCandidate(c);
    }
    this.setState('ringing');
  }

  async answer() {
    if (this.status.state !== 'ringing') {
      throw new Error('cannot answer a call that is ' + this.status.state);
    }
    const {type, sdp} = this.pc.localDescription; // Join carries the answer again, bt "sdp"
    await this.sendToPeer(MXP.JOIN, 'sdp', JSON.stringify({type, sdp}));
    this.onAnswered();
  }

  // hangup ends the call, then tells the peer: the peer's reply (a caller
  // that is denied cancels the call on every device) must find it ended.
  async hangup() {
    if (this.status.state === 'ended') {
      return;
    }
    // As in the Go SDK: a caller that hangs up before the answer cancels,
    // a callee declines.
    const inbound = this.status.direction === 'inbound';
    if (this.answered) {
      this.end('HungUp');
      await this.sendToPeer(MXP.LEAVE);
    } else if (inbound) {
      this.end('Denied');
      await this.sendToPeer(MXP.DENY);
    } else {
      this.end('Canceled');
      if (this.key) {
        await this.send(this.virtual, '', MXP.CANCEL);
      }
    }
  }

  onAnswered() {
    this.answered = true;
    this.setState('answered');
    this.maybeEstablish();
  }

  maybeEstablish() {
    if (this.answered && this.pc.connectionState === 'connected' && this.status.state === 'answered') {
      this.status.setupMs = Math.round(performance.now() - this.started);
      this.setState('established');
    }
  }

  // receive handles a decrypted message of this call: one without
  // nvps.to, or addressed to this device's fi or instance id.
  async receive(m) {
    const to = m.nvps && m.nvps.to;
    if (to && to !== this.client.fi() && to !== this.client.instanceId) {
      return;
    }
    if (this.status.direction === 'outbound') {
      await this.receiveAsCaller(m);
    } else if (mxp.sender(m) === this.peer.instance) {
      this.learn(m);
      await this.receiveAsCallee(m);
    }
  }

  async receiveAsCaller(m) {
    const from = mxp.sender(m);
    const fromPeer = this.peer && from === this.peer.instance;
    if (fromPeer) {
      this.learn(m);
    }
    switch (m.md) {
      case MXP.ACK:
        if (!this.peer && m.fs) { // the first device to acknowledge is the one this page talks to
          this.peer = {instance: from, fi: m.fi, channel: m.fs};
          await this.setRemoteDescription(JSON.parse(m.bd));
          this.setState('ringing');
          if (this.earlyJoins.has(from)) { // its Join came first
            await this.onJoin();
          }
        }
        return;
      case MXP.PEER_EVENT:
        if (fromPeer) {
          await this.addRemoteCandidate(m.bd);
        }
        return;
      case MXP.JOIN:
        if (fromPeer) {
          await this.onJoin();
        } else if (!this.peer && this.earlyJoins.size < MAX_EARLY) {
          this.earlyJoins.add(from);
        }
        return;
      case MXP.DENY:
        this.end('Denied');
        return;
      case MXP.LEAVE:
        if (fromPeer) {
          this.end('HungUp');
        }
        return;
      case MXP.ERROR:
        this.end('Failure');
        return;
    }
  }

  // onJoin: the peer answered; Joined, naming it in both client shapes,
  // tells every device of the callee.
  async onJoin() {
    if (this.answered) {
      return;
    }
    const p = this.peer;
    const fi = p.fi || p.instance + ':' + MXP_SUB_INSTANCE;
    const client = {fi, fu: this.remoteUser, userId: this.remoteUser, instanceId: p.instance, channel: p.channel, domain: 'mxp'};
    await this.send(this.virtual, '', MXP.JOINED, 'client', JSON.stringify(client));
    this.onAnswered();
  }

  async receiveAsCallee(m) {
    switch (m.md) {
      case MXP.PEER_EVENT:
        await this.addRemoteCandidate(m.bd);
        return;
      case MXP.JOINED: {
        // 1.x names the answering device by fi, 2.x by instanceId.
        let chosen = null;
        try {
          const c = JSON.parse(m.bd);
          chosen = (c && (c.fi || c.instanceId)) || null;
        } catch {
          return;
        }
        if (chosen && chosen !== this.client.fi() && chosen !== this.client.instanceId) {
          this.end('OtherDeviceAnswered');
        }
        return;
      }
      case MXP.CANCEL:
        this.end('Canceled');
        return;
      case MXP.LEAVE:
        this.end('HungUp');
        return;
      case MXP.ERROR:
        this.end('Failure');
        return;
    }
  }

  end(cause) {
    if (this.status.state === 'ended') {
      return;
    }
    this.status.endCause = cause;
    for (const stop of this.stoppers.splice(0)) {
      stop();
    }
    if (this.pc) {
      this.pc.close();
    }
    this.setState('ended');
  }
}

// ---- The client ----

class Client {
  constructor() {
    this.calls = new Map(); // by call id
    this.early = new Map(); // call id -> payloads received before its session key
    this.inbox = Promise.resolve(); // the realtime messages, handled in turn
    this.reassembler = new Reassembler();
    this.status = {registered: false, instanceId: null, calls: {}, errors: []};
  }

  // start registers userId with a registration token and opens the
  // realtime channel. toneHz is the frequency of the tone every call sends;
  // with autoAnswer, incoming calls are answered as soon as they ring.
  async start({userId, token, toneHz, autoAnswer = false}) {
    this.userId = userId;
    this.autoAnswer = autoAnswer;
    this.media = new Media(toneHz);
    await this.media.resume();
    this.rest = new Rest(location.origin);
    const created = await this.rest.createInstance(token, userId);
    this.instanceId = created.instance.id;
    this.config = created.config; // for tests that read the realtime keys and channels
    this.instanceKey = fromBase64(created.config.rtcProfile.key);
    this.signalChannel = created.config.rtcProfile.signalChannel;
    const servers = await this.rest.signed('GET', '/instances/' + encodeURIComponent(this.instanceId) + '/ice-servers');
    this.iceServers = servers.map((s) => ({urls: s.urls, username: s.username, credential: s.password}));
    this.realtime = new Realtime(created.config.rtcConfig.mxpPubSubConfig, this.instanceId, (channel, frame) => {
      this.enqueue(() => this.onFrame(channel, frame)).catch((e) => this.error(e));
    });
    await this.realtime.subscribe(created.config.rtcProfile.broadcastChannel, created.config.rtcProfile.signalChannel);
    this.status.registered = true;
    this.status.instanceId = this.instanceId;
    this.render();
  }

  // enqueue runs task once the messages received so far are handled, and
  // before the next ones. Messages are handled one at a time, in order:
  // handling one may wait for WebRTC, and the next must see its outcome.
  // The promise returned settles as task does.
  enqueue(task) {
    const done = this.inbox.then(task);
    this.inbox = done.catch(() => {}); // the caller of enqueue sees the error
    return done;
  }

  // replayEarly hands call, which now has its session key, the messages
  // kept for it.
  async replayEarly(call) {
    const early = this.early.get(call.id) || [];
    this.early.delete(call.id);
    for (const payload of early) {
      await call.receive(await mxp.open(call.key, payload));
    }
  }

  addCall(call) {
    this.calls.set(call.id, call);
    this.status.calls[call.id] = call.status;
    this.render();
  }

  // call calls userId; the call's progress shows in status.calls[id].
  async call(userId, {video = false} = {}) {
    const call = new Call(this, {id: crypto.randomUUID(), direction: 'outbound', remoteUser: userId, video});
    this.addCall(call);
    try {
      await call.startOutbound();
    } catch (e) {
      call.end('Failure');
      throw e;
    }
    return call.id;
  }

  // fi is this device's id in MXP: instance:subInstance.
  fi() {
    return this.instanceId + ':' + MXP_SUB_INSTANCE;
  }

  lookup(callId) {
    const call = this.calls.get(callId);
    if (!call) {
      throw new Error('no call ' + callId);
    }
    return call;
  }

  answer(callId) {
    return this.lookup(callId).answer();
  }

  hangup(callId) {
    return this.lookup(callId).hangup();
  }

  async onFrame(channel, text) {
    const frame = mxp.parseFrame(text);
    const payload = this.reassembler.add(frame);
    if (payload === null) {
      return;
    }
    if (channel !== this.signalChannel) { // the broadcast channel: Invites
      await this.onInvite(frame.sessionId, await mxp.open(this.instanceKey, payload));
      return;
    }
    const call = this.calls.get(frame.sessionId);
    if (call && call.key) {
      await call.receive(await mxp.open(call.key, payload));
      return;
    }
    const early = this.early.get(frame.sessionId) || [];
    if (early.length < MAX_EARLY) {
      early.push(payload);
      this.early.set(frame.sessionId, early);
    }
  }

  async onInvite(callId, invite) {
    if (invite.md !== MXP.INVITE || this.calls.has(callId)) {
      return;
    }
    const call = new Call(this, {id: callId, direction: 'inbound', remoteUser: invite.fu, video: invite.nvps.video === 'true'});
    this.addCall(call);
    try {
      await call.startInbound(invite);
    } catch (e) {
      call.end('Failure');
      throw e;
    }
    await this.replayEarly(call);
    if (this.autoAnswer && call.status.state === 'ringing') {
      await call.answer();
    }
  }

  error(e) {
    this.status.errors.push(String(e));
    this.render();
  }

  render() {
    document.getElementById('status').textContent = JSON.stringify(this.status, null, 2);
  }
}

// sinchPage is what tests drive: start, call, answer, hangup, status, and
// the signing functions for test vectors.
const sinchPage = new Client();
sinchPage.signing = signing;
