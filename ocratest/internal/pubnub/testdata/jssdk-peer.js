// jssdk-peer.js: a peer written with the official PubNub JavaScript SDK
// (npm "pubnub"), run by nodejs_test.go against the fake PubNub origin. It
// subscribes to one channel, says "ready" once subscribed, publishes COUNT
// messages on another channel, collects COUNT messages, and prints what it
// received as one JSON line. It is ours; only the SDK is PubNub's.
//
// Environment: PN_MODULE (the SDK's package directory), PN_ORIGIN
// (host:port, plain HTTP), PN_SUB, PN_PUB (keys), PN_LISTEN, PN_SEND
// (channels), PN_COUNT, PN_USER.
'use strict';

const PubNub = require(process.env.PN_MODULE);

const count = Number(process.env.PN_COUNT);
const received = [];
let ready = false;
let sent = false;

const pn = new PubNub({
  origin: process.env.PN_ORIGIN,
  ssl: false,
  subscribeKey: process.env.PN_SUB,
  publishKey: process.env.PN_PUB,
  userId: process.env.PN_USER,
});

function fail(what, err) {
  process.stderr.write(what + ': ' + (err && err.stack || JSON.stringify(err)) + '\n');
  process.exit(2);
}

function finishWhenDone() {
  if (!sent || received.length < count) {
    return;
  }
  // Anything repeated would arrive now.
  setTimeout(() => {
    process.stdout.write('result ' + JSON.stringify({received}) + '\n');
    pn.unsubscribeAll();
    setTimeout(() => { pn.destroy(); process.exit(0); }, 200);
  }, 500);
}

async function publishAll() {
  for (let i = 0; i < count; i++) {
    try {
      await pn.publish({channel: process.env.PN_SEND, message: 'js ' + i});
    } catch (err) {
      fail('publish ' + i, err);
    }
  }
  sent = true;
  finishWhenDone();
}

pn.addListener({
  status(s) {
    if (s.category === 'PNConnectedCategory' && !ready) {
      ready = true;
      process.stdout.write('ready\n');
      publishAll();
    } else if (s.error) {
      fail('status ' + s.category, s);
    }
  },
  message(m) {
    if (m.channel !== process.env.PN_LISTEN) {
      fail('message on an unexpected channel', m);
    }
    received.push(m.message);
    finishWhenDone();
  },
});

pn.subscribe({channels: [process.env.PN_LISTEN]});
setTimeout(() => fail('timeout', {received, ready, sent}), 30000).unref();
