// Package video carries video to and from calls.
//
// A Go process has no camera and no screen: the video a call sends comes from
// Go code (a [Source] of encoded VP8 frames) and the video it receives goes to
// Go code (a [Sink]). The package offers IVF files and streams as sources
// ([NewIVFSource], [NewLoopingIVFSource], [NewIVFFileSource]) and a frame
// callback ([SinkFunc]) and an IVF writer ([NewIVFWriter]) as sinks.
// [ParseVP8Keyframe] and [IsKeyframe] read the header of a VP8 keyframe, to
// check what arrives.
//
// Video is not decoded or encoded: frames pass through as they are. To make
// an IVF file from a video, use an encoder such as vpxenc or ffmpeg, e.g.
//
//	ffmpeg -i in.mp4 -c:v libvpx -g 30 -b:v 500k out.ivf
package video
