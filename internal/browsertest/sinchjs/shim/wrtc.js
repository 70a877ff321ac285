// The browser's own WebRTC classes, in place of the Node "wrtc" package.
module.exports = {
  RTCPeerConnection: window.RTCPeerConnection,
  RTCSessionDescription: window.RTCSessionDescription,
  RTCIceCandidate: window.RTCIceCandidate,
};
