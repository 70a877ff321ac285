package ocra

import "time"

// ServerNow is the client's best estimate of the server's clock: the local
// clock corrected by the skew learned from the server's Date header (see
// Client). Times the server sends, such as an instance's expireAt, are on
// the server's clock and are judged against ServerNow.
func (c *Client) ServerNow() time.Time { return c.signingTime() }
