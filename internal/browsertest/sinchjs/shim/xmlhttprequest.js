// The browser's XMLHttpRequest, in place of the Node "xmlhttprequest" package.
exports.XMLHttpRequest = window.XMLHttpRequest;
