// The origin's preview page: the stream in hls.js (served by the origin itself, so the page works
// without Internet access), with the player's state exposed on `window.preview` for a quick look
// and for the end-to-end test that drives it in Chromium.
export function previewPage(title: string, dash: boolean): string {
  const safeTitle = title.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${safeTitle} - livestream preview</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font-family: system-ui, sans-serif; margin: 1rem; background: #111; color: #eee; }
  video { width: 100%; max-width: 960px; background: #000; }
  #levels button { margin: 0.2rem; }
  #levels button.active { font-weight: bold; }
  code { color: #9cf; }
</style>
</head>
<body>
<h1>${safeTitle}</h1>
<video id="video" controls muted autoplay playsinline></video>
<div id="levels"></div>
<p id="state">loading...</p>
<p>HLS: <code>master.m3u8</code>${dash ? ' &middot; DASH: <code>manifest.mpd</code>' : ''}</p>
<script src="hls.min.js"></script>
<script>
  const video = document.getElementById('video');
  const state = document.getElementById('state');
  const preview = (window.preview = { errors: [], fatal: null, levelSwitches: [], hls: null, playing: null });
  function show() {
    const hls = preview.hls;
    const level = hls && hls.levels[hls.currentLevel];
    state.textContent = 'time ' + video.currentTime.toFixed(1) + ' s' +
      (level ? ' - ' + level.width + 'x' + level.height + ' ' + Math.round(level.bitrate / 1000) + ' kb/s' : '') +
      (preview.fatal ? ' - fatal: ' + preview.fatal : '');
  }
  setInterval(show, 500);
  if (window.Hls && Hls.isSupported()) {
    const hls = (preview.hls = new Hls({ liveSyncDurationCount: 3, enableWorker: true }));
    hls.on(Hls.Events.ERROR, (_e, data) => {
      preview.errors.push(data.type + ':' + data.details + (data.fatal ? ' (fatal)' : ''));
      if (data.fatal) {
        preview.fatal = data.details;
        // Recover like a real player would: media errors in place, network errors by reloading.
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else setTimeout(() => hls.startLoad(), 1000);
      }
    });
    // The fragment on screen: sequence number and discontinuity counter (cc grows at each restart).
    hls.on(Hls.Events.FRAG_CHANGED, (_e, data) => (preview.playing = { sn: data.frag.sn, cc: data.frag.cc }));
    hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => preview.levelSwitches.push(data.level));
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      const box = document.getElementById('levels');
      const auto = document.createElement('button');
      auto.textContent = 'auto';
      auto.onclick = () => (hls.currentLevel = -1);
      box.appendChild(auto);
      hls.levels.forEach((l, i) => {
        const b = document.createElement('button');
        b.textContent = l.height + 'p';
        b.onclick = () => (hls.currentLevel = i);
        box.appendChild(b);
      });
      video.play().catch(() => undefined);
    });
    hls.loadSource('master.m3u8');
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = 'master.m3u8'; // Safari plays HLS itself
  } else {
    state.textContent = 'This browser cannot play HLS.';
  }
</script>
</body>
</html>
`;
}
