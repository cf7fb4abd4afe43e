// Makes Node's own fetch (which the OCI Node SDK uses) honour HTTPS_PROXY, NO_PROXY and HTTP_PROXY, with no
// change to the application: `NODE_OPTIONS="--require /path/to/proxy-from-env.js"`. Node 24 and later do the
// same by themselves with NODE_USE_ENV_PROXY=1; Node 20 and 22 need this (and the `undici` package).
"use strict";
const { setGlobalDispatcher, EnvHttpProxyAgent } = require("undici");

setGlobalDispatcher(new EnvHttpProxyAgent());
