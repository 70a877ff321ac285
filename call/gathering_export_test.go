package call

import "github.com/pion/webrtc/v4"

// ICEGatheringState returns the state of the call's ICE candidate
// gathering, read on the call's actor.
func ICEGatheringState(c *Call) (webrtc.ICEGatheringState, error) {
	var st webrtc.ICEGatheringState
	err := c.request(func(a *actor) error {
		if a.pc != nil {
			st = a.pc.ICEGatheringState()
		}
		return nil
	})
	return st, err
}
