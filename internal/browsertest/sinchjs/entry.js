// Exposes the SDK's constructor to the page as window.SinchClient.
window.SinchClient = require("sinch-rtc");
