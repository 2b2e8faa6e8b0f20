/*
 * Kakehashi — Garoon schedule customization (plain ES2017, no build step).
 *
 * 1. Forwards schedule JavaScript API events (create, edit, delete, attend, leave, ...) to the
 *    Kakehashi ingress as change hints, through Garoon's proxy (garoon.base.proxy.send), so a
 *    change made on the Garoon screen syncs to Microsoft 365 within seconds. A hint is only a
 *    hint: the connector reads the event back through the Garoon API, and the reconciliation
 *    sweep still catches what never produces a hint (mobile views, API writes).
 * 2. On an event's detail screen, adds a "Teams 会議を作成 / Create Teams meeting" button with a
 *    field for invitees outside Garoon (e-mail addresses).
 *
 * The shared secret is NOT in this file: Garoon's proxy setting adds the fixed headers
 * X-Kakehashi-Tenant and X-Kakehashi-Secret. Installation: docs/garoon-setup.md.
 * Wire format of the hint: docs/architecture.md, "The Garoon browser hint".
 */
(function (root) {
  'use strict';

  // ------------------------------------------------------------------ configuration (edit here)
  var CONFIG = {
    // "プロキシコード" of the proxy setting (Garoon system administration > API > proxy settings)
    proxyCode: 'kakehashi',
    // exactly the URL registered in that proxy setting
    ingressUrl: 'https://kakehashi.example.com/webhooks/garoon',
    // show the Teams meeting button on the event detail screen
    teamsButton: true,
    // at most this many outside invitees per request
    maxInvitees: 50,
    // after a save, wait at most this long for the hint to leave before Garoon moves on to the
    // next screen (a page change could otherwise cancel the request); the save itself is done
    waitMs: 3000
  };
  // Optional: a separate customization file loaded before this one may set
  // window.KAKEHASHI_CONFIG = {proxyCode: '...', ingressUrl: '...'} so this file stays unmodified.
  if (root && root.KAKEHASHI_CONFIG && typeof root.KAKEHASHI_CONFIG === 'object') {
    Object.keys(root.KAKEHASHI_CONFIG).forEach(function (key) {
      CONFIG[key] = root.KAKEHASHI_CONFIG[key];
    });
  }

  var SOURCE = 'garoon-js';
  var TEAMS_EVENT_TYPE = 'kakehashi.teams.create';
  var LOG_PREFIX = '[kakehashi]';

  // schedule events forwarded as hints
  var HINT_EVENTS = [
    'schedule.event.create.submit.success',
    'schedule.event.quick.create.submit.success',
    'schedule.event.arrange.create.submit.success',
    'schedule.event.temporary.finalize.submit.success',
    'schedule.event.edit.submit.success',
    'schedule.event.quick.edit.submit.success',
    'schedule.event.delete.submit.success',
    'schedule.event.attend.submit.success',
    'schedule.event.leave.submit.success'
  ];
  // events whose payload carries `range`, and what Garoon reports for a non-repeating event
  var RANGE_DEFAULTS = {
    'schedule.event.delete.submit.success': 'ALL',
    'schedule.event.attend.submit.success': 'THIS_ONLY',
    'schedule.event.leave.submit.success': 'THIS_ONLY'
  };
  var RANGES = ['THIS_ONLY', 'ON_AND_AFTER', 'ALL'];

  var TEXT = {
    button: 'Teams 会議を作成 / Create Teams meeting',
    label: '社外の招待者（メールアドレス、カンマまたはスペース区切り） / Outside invitees (e-mail, comma or space separated)',
    placeholder: 'taro@example.com, hanako@example.net',
    sending: '送信しています… / Sending…',
    accepted: 'Teams 会議の作成を受け付けました。同期後、会議 URL がメモ欄に追加されます。 / ' +
      'Teams meeting requested. The join URL will be added to the memo after the sync.',
    failed: 'Teams 会議を作成できませんでした / Could not create the Teams meeting',
    invalid: '無効なメールアドレス / Invalid e-mail address',
    tooMany: '招待者が多すぎます / Too many invitees',
    unavailable: 'Kakehashi に接続できません / Kakehashi is unreachable'
  };

  // ------------------------------------------------------------------ helpers
  function logError(message, error) {
    try {
      if (typeof console !== 'undefined' && console.error) {
        console.error(LOG_PREFIX + ' ' + message, error);
      }
    } catch (ignored) {
      // logging must never break the screen
    }
  }

  function garoonApi() {
    return typeof garoon !== 'undefined' ? garoon : root && root.garoon;
  }

  function loginUser() {
    try {
      var user = garoonApi().base.user.getLoginUser();
      if (user) {
        return {
          id: user.id === undefined || user.id === null ? '' : String(user.id),
          code: user.code === undefined || user.code === null ? '' : String(user.code)
        };
      }
    } catch (error) {
      logError('cannot read the login user', error);
    }
    return {id: '', code: ''};
  }

  function scheduleEventOf(event) {
    return event && event.event ? event.event : null;
  }

  function eventIdOf(event) {
    var schedule = scheduleEventOf(event);
    if (!schedule || schedule.id === undefined || schedule.id === null || schedule.id === '') {
      return null;
    }
    return String(schedule.id);
  }

  /** The hint body for one Garoon schedule event (null when there is no event id). */
  function buildHint(eventType, event) {
    var eventId = eventIdOf(event);
    if (eventId === null) {
      return null;
    }
    var hint = {
      source: SOURCE,
      eventType: eventType,
      eventId: eventId,
      actor: loginUser(),
      invitees: []
    };
    if (Object.prototype.hasOwnProperty.call(RANGE_DEFAULTS, eventType)) {
      var range = event && event.range;
      hint.range = RANGES.indexOf(range) >= 0 ? range : RANGE_DEFAULTS[eventType];
    }
    return hint;
  }

  /**
   * POST a body to the ingress through Garoon's proxy. Always returns a thenable that resolves to
   * {ok, status, body} and never rejects (an exception or a rejected promise becomes ok=false).
   */
  function post(body) {
    var failed = function (error) {
      logError('proxy call failed', error);
      return {ok: false, status: 0, body: null, error: error};
    };
    var sent;
    try {
      sent = garoonApi().base.proxy.send(
        CONFIG.proxyCode,
        CONFIG.ingressUrl,
        'POST',
        {'Content-Type': 'application/json'},
        // an object, sent as the JSON body (Garoon's docs: a string is taken as a query string)
        body
      );
    } catch (error) {
      return Promise.resolve(failed(error));
    }
    return Promise.resolve(sent).then(function (response) {
      // garoon.base.proxy.send resolves to [body, status, headers]
      var status = Array.isArray(response) ? Number(response[1]) : 0;
      var ok = status >= 200 && status < 300;
      if (!ok) {
        logError('ingress answered HTTP ' + status, response && response[0]);
      }
      return {ok: ok, status: status, body: Array.isArray(response) ? response[0] : null};
    }, failed);
  }

  /**
   * Handler for the *.submit.success events (the save has already succeeded). Sends the hint and
   * hands the event back: as a garoon.Promise that resolves to the event once the request is
   * answered or after CONFIG.waitMs at the latest (so a page change cannot cancel the request),
   * or directly when garoon.Promise is unavailable. It never rejects and never throws, so
   * Kakehashi can neither block nor break the user's screen.
   */
  function handleHintEvent(event, registeredType) {
    var sending = null;
    try {
      var eventType = registeredType || (event && event.type) || '';
      var hint = buildHint(eventType, event);
      if (hint) {
        sending = post(hint);
      }
    } catch (error) {
      logError('cannot forward ' + (event && event.type), error);
    }
    var GaroonPromise = null;
    try {
      GaroonPromise = garoonApi().Promise || null;
    } catch (ignored) {
      GaroonPromise = null;
    }
    if (!sending || typeof GaroonPromise !== 'function') {
      return event;
    }
    return new GaroonPromise(function (resolve) {
      var timer = setTimeout(function () {
        resolve(event);
      }, CONFIG.waitMs);
      sending.then(function () {
        clearTimeout(timer);
        resolve(event);
      });
    });
  }

  // ------------------------------------------------------------------ invitees
  // pragmatic address check: local@domain.tld, no spaces, no display names
  var EMAIL = /^[A-Za-z0-9.!#$%&'*+\/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$/;

  /**
   * Split the invitee field on commas, semicolons and white space (also the Japanese 、，； and
   * full-width space) and validate each address. Duplicates (case-insensitive) are dropped.
   * Returns {invitees: [...], invalid: [...]}.
   */
  function parseInvitees(text) {
    var invitees = [];
    var invalid = [];
    var seen = {};
    String(text || '')
      .split(/[\s,;、，；\u3000]+/)
      .forEach(function (part) {
        var address = part.trim();
        if (!address) {
          return;
        }
        if (address.length > 254 || address.split('@')[0].length > 64 || !EMAIL.test(address) ||
            address.indexOf('..') >= 0 || address.charAt(0) === '.') {
          invalid.push(address);
          return;
        }
        var key = address.toLowerCase();
        if (!seen[key]) {
          seen[key] = true;
          invitees.push(address);
        }
      });
    return {invitees: invitees, invalid: invalid};
  }

  // ------------------------------------------------------------------ Teams meeting button
  var CONTAINER_ID = 'kakehashi-teams';

  /**
   * Ask Kakehashi to create a Teams meeting for the event. Resolves to
   * {sent, ok, message}; nothing is sent when an address is invalid.
   */
  function requestTeamsMeeting(eventId, inviteeText) {
    var parsed = parseInvitees(inviteeText);
    if (parsed.invalid.length) {
      return Promise.resolve({sent: false, ok: false, message: TEXT.invalid + ': ' + parsed.invalid.join(', ')});
    }
    if (parsed.invitees.length > CONFIG.maxInvitees) {
      return Promise.resolve({
        sent: false, ok: false, message: TEXT.tooMany + ' (max ' + CONFIG.maxInvitees + ')'
      });
    }
    var body = {
      source: SOURCE,
      eventType: TEAMS_EVENT_TYPE,
      eventId: String(eventId),
      actor: loginUser(),
      invitees: parsed.invitees
    };
    return post(body).then(function (result) {
      if (result.ok) {
        return {sent: true, ok: true, message: TEXT.accepted};
      }
      var reason = result.status ? ' (HTTP ' + result.status + ')' : ' — ' + TEXT.unavailable;
      return {sent: true, ok: false, message: TEXT.failed + reason};
    });
  }

  function teamsSpaceElement() {
    try {
      var schedule = garoonApi().schedule;
      if (schedule && schedule.event && typeof schedule.event.getHeaderSpaceElement === 'function') {
        return schedule.event.getHeaderSpaceElement() || null;
      }
    } catch (error) {
      logError('no header space element', error);
    }
    return null;
  }

  function alreadyRendered(space) {
    var children = space.children || space.childNodes || [];
    for (var i = 0; i < children.length; i += 1) {
      if (children[i] && children[i].id === CONTAINER_ID) {
        return true;
      }
    }
    return false;
  }

  function element(doc, tag, props) {
    var node = doc.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      node[key] = props[key];
    });
    return node;
  }

  /** Render the button, the invitee field and a status line into `space`; returns the parts. */
  function renderTeamsButton(space, eventId, doc) {
    doc = doc || root.document;
    var container = element(doc, 'div', {id: CONTAINER_ID, className: 'kakehashi-teams'});
    var label = element(doc, 'label', {className: 'kakehashi-teams-label', textContent: TEXT.label});
    var input = element(doc, 'input', {
      type: 'text', className: 'kakehashi-teams-invitees', placeholder: TEXT.placeholder, value: ''
    });
    if (input.setAttribute) {
      input.setAttribute('aria-label', TEXT.label);
      input.setAttribute('size', '50');
    }
    var button = element(doc, 'button', {type: 'button', className: 'kakehashi-teams-button', textContent: TEXT.button});
    var status = element(doc, 'span', {className: 'kakehashi-teams-status', textContent: ''});
    if (status.setAttribute) {
      status.setAttribute('role', 'status');
    }
    container.appendChild(label);
    container.appendChild(input);
    container.appendChild(button);
    container.appendChild(status);

    var onClick = function () {
      if (button.disabled) {
        return Promise.resolve(null);
      }
      button.disabled = true;
      status.textContent = TEXT.sending;
      return requestTeamsMeeting(eventId, input.value).then(function (result) {
        status.textContent = result.message;
        status.className = 'kakehashi-teams-status ' + (result.ok ? 'kakehashi-ok' : 'kakehashi-error');
        button.disabled = false;
        if (result.ok) {
          input.value = '';
        }
        return result;
      }, function (error) {
        logError('Teams request failed', error);
        status.textContent = TEXT.failed;
        button.disabled = false;
        return {sent: false, ok: false, message: TEXT.failed};
      });
    };
    button.addEventListener('click', onClick);
    space.appendChild(container);
    return {container: container, input: input, button: button, status: status, onClick: onClick};
  }

  /** Handler for schedule.event.detail.show: add the Teams button for a saved event. */
  function onDetailShow(event) {
    try {
      if (!CONFIG.teamsButton) {
        return event;
      }
      var eventId = eventIdOf(event);
      if (eventId === null) {
        return event; // not saved yet: nothing to attach a meeting to
      }
      var space = teamsSpaceElement();
      if (!space || typeof space.appendChild !== 'function' || !root.document) {
        return event; // this Garoon version or screen offers no space element
      }
      if (!alreadyRendered(space)) {
        renderTeamsButton(space, eventId, root.document);
      }
    } catch (error) {
      logError('cannot add the Teams button', error);
    }
    return event;
  }

  // ------------------------------------------------------------------ registration
  function register() {
    var api = garoonApi();
    if (!api || !api.events || typeof api.events.on !== 'function') {
      return []; // not on a Garoon page (or a version without JavaScript API events)
    }
    var registered = [];
    var on = function (type, handler) {
      try {
        api.events.on(type, handler);
        registered.push(type);
      } catch (error) {
        // an event this Garoon version does not know (e.g. attend/leave before 5.15, or a
        // cloud-only event on a package version): skip it, keep the others
        logError('event not available: ' + type, error);
      }
    };
    HINT_EVENTS.forEach(function (type) {
      on(type, function (event) {
        return handleHintEvent(event, type);
      });
    });
    on('schedule.event.detail.show', onDetailShow);
    return registered;
  }

  register();

  if (typeof module !== 'undefined' && module.exports) {
    module.exports = {
      CONFIG: CONFIG,
      HINT_EVENTS: HINT_EVENTS,
      RANGE_DEFAULTS: RANGE_DEFAULTS,
      TEAMS_EVENT_TYPE: TEAMS_EVENT_TYPE,
      TEXT: TEXT,
      buildHint: buildHint,
      post: post,
      handleHintEvent: handleHintEvent,
      parseInvitees: parseInvitees,
      requestTeamsMeeting: requestTeamsMeeting,
      renderTeamsButton: renderTeamsButton,
      onDetailShow: onDetailShow,
      register: register
    };
  }
})(typeof window !== 'undefined' ? window : typeof globalThis !== 'undefined' ? globalThis : this);
