// The browser's btoa, in place of the Node "btoa" package (which needs Buffer).
module.exports = function (s) { return window.btoa(s); };
