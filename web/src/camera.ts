/**
 * Live classification from the camera: a frame every ~250 ms (after the previous one is done),
 * where the browser has a camera and the page a secure context (localhost counts).
 */
export function wireCamera(
  button: HTMLButtonElement,
  video: HTMLVideoElement,
  onFrame: (frame: HTMLCanvasElement) => Promise<void>,
  onError: (message: string) => void,
): void {
  if (!navigator.mediaDevices?.getUserMedia) return;
  button.hidden = false;
  let stream: MediaStream | undefined;
  let running = false;
  let looping: Promise<void> = Promise.resolve();
  const loop = async () => {
    while (running) {
      if (video.readyState >= 2) {
        const frame = document.createElement('canvas');
        frame.width = video.videoWidth;
        frame.height = video.videoHeight;
        frame.getContext('2d')!.drawImage(video, 0, 0);
        await onFrame(frame);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  button.addEventListener('click', async () => {
    if (running) {
      running = false;
      await looping; // the frame being classified finishes first, so nothing lands after "stop"
      stream?.getTracks().forEach((t) => t.stop());
      video.hidden = true;
      button.textContent = 'Use the camera';
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    } catch (error) {
      onError(`camera unavailable: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    running = true;
    button.textContent = 'Stop the camera';
    looping = loop();
  });
}
