// Command genclip writes raw I420 video frames to standard output: a moving
// square over a gradient that changes with every frame. Piped into vpxenc it
// makes the package's test clip; see video/testdata/README.md.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	width := flag.Int("width", 320, "frame width in pixels (even)")
	height := flag.Int("height", 240, "frame height in pixels (even)")
	frames := flag.Int("frames", 45, "number of frames")
	flag.Parse()
	if *width <= 0 || *height <= 0 || *width%2 != 0 || *height%2 != 0 || *frames <= 0 {
		fmt.Fprintln(os.Stderr, "genclip: width and height must be positive and even, frames positive")
		os.Exit(2)
	}
	if err := write(os.Stdout, *width, *height, *frames); err != nil {
		fmt.Fprintln(os.Stderr, "genclip:", err)
		os.Exit(1)
	}
}

// write writes n frames of w×h I420 video to out.
func write(out io.Writer, w, h, n int) error {
	bw := bufio.NewWriter(out)
	frame := make([]byte, w*h*3/2)
	for i := range n {
		drawFrame(frame, w, h, i)
		if _, err := bw.Write(frame); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// drawFrame fills frame (I420: a w×h luma plane, then two w/2×h/2 chroma
// planes) with frame number i: a diagonal gradient that drifts and a bright
// square that moves 4 pixels right and 2 down per frame.
func drawFrame(frame []byte, w, h, i int) {
	const side = 48
	sx, sy := (4*i)%(w-side), (2*i)%(h-side)
	luma := frame[:w*h]
	for y := range h {
		for x := range w {
			v := byte((x + y + 3*i) % 200)
			if x >= sx && x < sx+side && y >= sy && y < sy+side {
				v = 235
			}
			luma[y*w+x] = v
		}
	}
	cw, ch := w/2, h/2
	u, v := frame[w*h:w*h+cw*ch], frame[w*h+cw*ch:]
	for y := range ch {
		for x := range cw {
			u[y*cw+x] = byte(64 + (x+i)%128)
			v[y*cw+x] = byte(64 + (y+2*i)%128)
		}
	}
}
