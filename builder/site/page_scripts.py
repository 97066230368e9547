"""The page's hand-written classic scripts, in load order (files under `templates/`).

`render` joins them in this order into one script, `site/assets/page.<hash>.js`
(`assets.joined`: one request, not one per file), which `index.html` loads with `defer`;
those in `HEAD` are joined into `assets/start.<hash>.js`, loaded in `<head>` before it.
The libraries come first (pure, or touching only what they are handed), then the page's
parts, `app.js` (state, frame loop and wiring) last. Each file puts one value into
`window.AEDEMO_LIB` when it runs and uses the others only when `app.js` calls it, so
within a group the order does not matter. Classic scripts, not modules: from `file://` a
module import fails. docs/page-scripts.md maps what each one owns.
The compression page, the series' third part, loads its own list (`COMPRESSION_SCRIPTS`,
joined into `assets/compression.<hash>.js`); each lazy group is one file too.
"""

SCRIPTS = (
    # libraries
    "shared/datafiles.js", "shared/runtime.js", "shared/mnist.js", "decoder/nearest.js", "decoder/statecodec.js", "shared/format.js", "shared/latest.js", "shared/pad.js", "shared/letters.js",
    "shared/marks.js", "shared/transforms.js", "decoder/maps.js", "decoder/lazy.js", "shared/offline.js",
    # the page's parts
    "shared/status.js", "decoder/progress.js", "decoder/view.js", "decoder/plane.js", "decoder/overlays.js", "decoder/stamps.js", "decoder/strip.js", "decoder/layers.js", "decoder/preview.js", "decoder/probe.js",
    "decoder/padpanel.js", "decoder/story.js", "decoder/undo.js", "decoder/scrolly.js", "decoder/disclosures.js", "decoder/viewlink.js", "timelapse/timelapse.js", "decoder/input.js", "decoder/sharelink.js", "decoder/api.js",
    # state, frame loop, wiring
    "decoder/app.js",
)

# The compression page's scripts (templates/compression/compression.html), in load order, loaded only
# there: the libraries it shares with the decoder page, its own, its wiring last.
COMPRESSION_SCRIPTS = (
    "shared/datafiles.js", "shared/runtime.js", "shared/mnist.js", "shared/format.js", "shared/latest.js", "shared/pad.js", "shared/letters.js", "shared/marks.js",
    "shared/transforms.js", "shared/offline.js", "compression/noise.js", "compression/pca.js",
    "shared/status.js", "compression/panels.js", "compression/codebars.js", "compression/iterate.js",
    "compression/compressionpage.js",
)

# Loaded first, in <head>, not deferred: starts the first image's downloads at once.
BOOT = "shared/boot.js"

# Entries of SCRIPTS loaded in <head> right after boot.js, not deferred, with
# `data-start`: datafiles.js (the data scripts' loaders), then runtime.js, which starts
# the decoder (onnxruntime-web, the model, its first run) while the rest of the page
# still downloads; app.js takes the started runtime.
HEAD = ("shared/datafiles.js", "shared/runtime.js")

# The site's service worker (not a page script: `render` writes it to the site's root as
# sw.js, with its precache list above it, builder/site/offline.py); offline.js registers it.
WORKER = "shared/_worker.js"

# Loaded only when the learner opens their part (`lazy.js`; `render` lists them in
# config.lazy with that part's data files): classic scripts added to the page on demand.
LAZY = {
    "timelapse": ("timelapse/dotmap.js", "timelapse/scrubber.js", "timelapse/compare.js"),
}

# The style sheets, rendered (jinja2: colours from theme) and joined in this order into one
# `assets/style.<hash>.css` that both pages load: the cascade runs through them in order.
STYLE_SHEETS = (
    "shared/base.css",            # colours, type, the top bar, chips and buttons
    "decoder/plane.css",          # the plane, the preview, the strip, the pad panel
    "shared/chrome.css",          # status line, about, scores, footer, the narrow-screen rules
    "decoder/story.css",          # the story, the layers and the probe kit
    "decoder/scrolly.css",        # the story beside the sticky plane, the opening, the disclosures
    "timelapse/timelapse.css",    # "Watch the map form"
    "compression/compression.css",  # the series bar and the compression page
)
