"""The page's hand-written classic scripts, in load order (files under `templates/`).

`render` copies each into `site/assets/<name>.<hash>.js` and `index.html` loads them
with `defer` in this order (but those in `HEAD`, in `<head>` before the others): the libraries first (pure, or touching only what they are
handed), then the page's parts, `app.js` (state, frame loop and wiring) last. Each file
puts one value into `window.AEDEMO_LIB` when it runs and uses the others only when
`app.js` calls it, so within a group the order does not matter. Classic scripts, not
modules: from `file://` a module import fails. Names are lower-case letters only (the
tests match `assets/[a-z]+.<hash>.js`). docs/page-scripts.md maps what each one owns.
The compression page, the series' third part, loads its own list (`COMPRESSION_SCRIPTS`).
"""

SCRIPTS = (
    # libraries
    "datafiles.js", "runtime.js", "mnist.js", "nearest.js", "share.js", "format.js", "latest.js", "pad.js", "letters.js",
    "marks.js", "transforms.js", "maps.js", "lazy.js",
    # the page's parts
    "status.js", "view.js", "plane.js", "overlays.js", "stamps.js", "strip.js", "layers.js", "preview.js", "probe.js",
    "padpanel.js", "story.js", "lapse.js", "input.js", "sharing.js", "api.js",
    # state, frame loop, wiring
    "app.js",
)

# The compression page's scripts (templates/compression.html), in load order, loaded only
# there: the libraries it shares with the decoder page, its own, its wiring last.
COMPRESSION_SCRIPTS = (
    "datafiles.js", "runtime.js", "mnist.js", "format.js", "latest.js", "pad.js", "letters.js", "marks.js",
    "transforms.js", "noise.js", "pca.js",
    "status.js", "panels.js", "codebars.js", "drift.js",
    "compress.js",
)

# Loaded first, in <head>, not deferred: starts the first image's downloads at once.
BOOT = "boot.js"

# Entries of SCRIPTS loaded in <head> right after boot.js, not deferred, with
# `data-start`: datafiles.js (the data scripts' loaders), then runtime.js, which starts
# the decoder (onnxruntime-web, the model, its first run) while the rest of the page
# still downloads; app.js takes the started runtime.
HEAD = ("datafiles.js", "runtime.js")

# Loaded only when the learner opens their part (`lazy.js`; `render` lists them in
# config.lazy with that part's data files): classic scripts added to the page on demand.
LAZY = {
    "timelapse": ("dotmap.js", "scrubber.js", "compare.js"),
}
