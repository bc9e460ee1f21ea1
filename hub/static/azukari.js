// Azukari hub pages: passkey ceremonies (WebAuthn) for forms marked data-passkey, and live updates over
// server-sent events for pages whose <main> has data-live, and the download a page names in data-download. No
// framework, no build step; served by the hub.
'use strict';

(function () {
  function b64urlToBytes(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '==='.slice((base64.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function bytesToB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  const main = document.getElementById('main');
  const status = document.getElementById('passkey-status');

  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.className = 'notice ' + (kind || 'info');
    status.hidden = !text;
  }

  function hasWebAuthn() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.create);
  }

  async function postJson(url, csrf, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-Azukari-CSRF': csrf },
      body: JSON.stringify(body),
    });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    if (!response.ok) {
      throw new Error(answer.message || String(response.status));
    }
    return answer;
  }

  // Creation options from the hub (webauthn-rs JSON: binary fields base64url) into what the browser takes.
  function creationOptions(options) {
    const publicKey = Object.assign({}, options.publicKey);
    publicKey.challenge = b64urlToBytes(publicKey.challenge);
    publicKey.user = Object.assign({}, publicKey.user, { id: b64urlToBytes(publicKey.user.id) });
    publicKey.excludeCredentials = (publicKey.excludeCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: b64urlToBytes(c.id) });
    });
    return { publicKey: publicKey };
  }

  function requestOptions(options) {
    const publicKey = Object.assign({}, options.publicKey);
    publicKey.challenge = b64urlToBytes(publicKey.challenge);
    publicKey.allowCredentials = (publicKey.allowCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: b64urlToBytes(c.id) });
    });
    return { publicKey: publicKey };
  }

  function registration(credential) {
    return {
      id: credential.id,
      rawId: bytesToB64url(credential.rawId),
      type: credential.type,
      extensions: {},
      response: {
        attestationObject: bytesToB64url(credential.response.attestationObject),
        clientDataJSON: bytesToB64url(credential.response.clientDataJSON),
      },
    };
  }

  function assertion(credential) {
    return {
      id: credential.id,
      rawId: bytesToB64url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: bytesToB64url(credential.response.authenticatorData),
        clientDataJSON: bytesToB64url(credential.response.clientDataJSON),
        signature: bytesToB64url(credential.response.signature),
        userHandle: credential.response.userHandle ? bytesToB64url(credential.response.userHandle) : null,
      },
    };
  }

  // One ceremony: options from the hub, the browser's prompt, the result back. The hub's answer says where to
  // go next. Registration may be followed by a signature (a family member's consent): the hub then answers
  // with `next` options to sign.
  async function ceremony(form) {
    const data = {};
    new FormData(form).forEach(function (value, key) { data[key] = String(value); });
    const csrf = data.csrf || '';
    const base = form.getAttribute('action');
    say(main ? main.dataset.wait : '', 'info');
    let options = await postJson(base + '/options', csrf, data);
    for (;;) {
      let result;
      if (options.create) {
        const credential = await navigator.credentials.create(creationOptions(options.create));
        result = { registration: registration(credential) };
      } else {
        const credential = await navigator.credentials.get(requestOptions(options.get));
        result = { assertion: assertion(credential) };
      }
      const answer = await postJson(base + '/finish', csrf, result);
      if (answer.next) {
        options = answer.next;
        continue;
      }
      window.location.assign(answer.redirect || window.location.pathname);
      return;
    }
  }

  document.addEventListener('submit', function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.passkey) return;
    event.preventDefault();
    if (!hasWebAuthn()) {
      const missing = document.getElementById('webauthn-missing');
      if (missing) missing.hidden = false;
      return;
    }
    const buttons = form.querySelectorAll('button');
    buttons.forEach(function (b) { b.disabled = true; });
    ceremony(form).catch(function (error) {
      say((main ? main.dataset.failed : '') + ' (' + error.message + ')', 'error');
      buttons.forEach(function (b) { b.disabled = false; });
    });
  });

  if (!hasWebAuthn() && document.querySelector('form[data-passkey]')) {
    const missing = document.getElementById('webauthn-missing');
    if (missing) missing.hidden = false;
  }

  // A file the page has just made (a label sheet, the 管理簿): its download starts once the page has loaded; the
  // page keeps a button for it in case the browser held it back.
  if (main && main.dataset.download) {
    window.addEventListener('load', function () {
      window.location.assign(main.dataset.download);
    });
  }

  // Live pages: every time the hub's log grows, fetch this page again and swap its content in place. A growth
  // announced while a fetch is running is not dropped: one more fetch follows it.
  if (main && main.dataset.live && window.EventSource) {
    let first = true;
    let busy = false;
    let again = false;
    const refresh = async function () {
      busy = true;
      try {
        do {
          again = false;
          const response = await fetch(window.location.pathname, { credentials: 'same-origin' });
          if (response.ok) {
            const html = await response.text();
            const next = new DOMParser().parseFromString(html, 'text/html').getElementById('live');
            const live = document.getElementById('live');
            if (next && live) {
              live.replaceWith(document.importNode(next, true));
              document.body.dataset.updated = String(Date.now());
            }
          }
        } while (again);
      } finally {
        busy = false;
      }
    };
    const source = new EventSource(main.dataset.live);
    source.onmessage = function () {
      if (first) { first = false; return; }
      if (busy) { again = true; return; }
      refresh();
    };
  }
})();
