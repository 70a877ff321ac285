// The page's localStorage, in place of the Node "localStorage" package.
module.exports = window.localStorage;
