'use strict';
// Tests for the Garoon customization file, with Node's built-in runner:
//   node --test deploy/garoon/test/
// A fake `garoon` global records proxy calls; a minimal fake DOM stands in for the browser.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

// ------------------------------------------------------------------ fake DOM
class FakeElement {
  constructor(tagName) {
    this.tagName = tagName.toUpperCase();
    this.children = [];
    this.attributes = {};
    this.listeners = {};
    this.textContent = '';
    this.value = '';
    this.disabled = false;
    this.className = '';
    this.id = '';
  }

  appendChild(child) {
    this.children.push(child);
    child.parentNode = this;
    return child;
  }

  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }

  getAttribute(name) {
    return Object.prototype.hasOwnProperty.call(this.attributes, name) ? this.attributes[name] : null;
  }

  addEventListener(type, listener) {
    (this.listeners[type] = this.listeners[type] || []).push(listener);
  }

  /** Dispatch a click; resolves when every listener's returned promise settles. */
  click() {
    return Promise.all((this.listeners.click || []).map((listener) => listener({type: 'click', target: this})));
  }

  /** Depth-first search by class name (first match). */
  find(className) {
    for (const child of this.children) {
      if (String(child.className).split(/\s+/).includes(className)) {
        return child;
      }
      const inner = child.find(className);
      if (inner) {
        return inner;
      }
    }
    return null;
  }
}

const fakeDocument = {
  createElement: (tagName) => new FakeElement(tagName)
};

// ------------------------------------------------------------------ fake garoon
const LOGIN_USER = {id: 7, code: 'sato', name: '佐藤 昇'};

const fake = {
  handlers: {},
  calls: [],
  headerSpace: null,
  respond: () => Promise.resolve(['{"accepted":true}', 202, {}]),
  Promise: Promise,
  events: {
    on(type, handler) {
      (fake.handlers[type] = fake.handlers[type] || []).push(handler);
    }
  },
  base: {
    user: {getLoginUser: () => LOGIN_USER},
    proxy: {
      send(...args) {
        fake.calls.push(args);
        return fake.respond(...args);
      }
    }
  },
  schedule: {
    event: {getHeaderSpaceElement: () => fake.headerSpace}
  }
};

globalThis.garoon = fake;
globalThis.document = fakeDocument;

const kakehashi = require(path.join(__dirname, '..', 'kakehashi.js'));

const errors = [];
const originalConsoleError = console.error;

test.beforeEach(() => {
  fake.calls.length = 0;
  fake.headerSpace = new FakeElement('div');
  fake.respond = () => Promise.resolve(['{"accepted":true}', 202, {}]);
  fake.Promise = Promise;
  fake.schedule.event.getHeaderSpaceElement = () => fake.headerSpace;
  kakehashi.CONFIG.waitMs = 3000;
  errors.length = 0;
  console.error = (...args) => errors.push(args);
});

test.afterEach(() => {
  console.error = originalConsoleError;
});

function fire(type, payload) {
  const handlers = fake.handlers[type] || [];
  assert.equal(handlers.length, 1, `exactly one handler registered for ${type}`);
  return handlers[0](Object.assign({type}, payload));
}

function scheduleEvent(id) {
  return {id: String(id), subject: '定例会議', eventType: 'REGULAR'};
}

function sentBody(call) {
  const data = call[4];
  // passed as an object (Garoon JSON-encodes it); a string would go out as a query string
  assert.equal(typeof data, 'object');
  assert.ok(data !== null && !Array.isArray(data));
  return JSON.parse(JSON.stringify(data));
}

// ------------------------------------------------------------------ hints
const RANGE_EVENTS = {
  'schedule.event.delete.submit.success': 'ALL',
  'schedule.event.attend.submit.success': 'THIS_ONLY',
  'schedule.event.leave.submit.success': 'THIS_ONLY'
};

const EXPECTED_HINT_EVENTS = [
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

test('registers a handler for every schedule event it forwards, and for detail.show', () => {
  assert.deepEqual([...kakehashi.HINT_EVENTS].sort(), [...EXPECTED_HINT_EVENTS].sort());
  for (const type of EXPECTED_HINT_EVENTS) {
    assert.equal((fake.handlers[type] || []).length, 1, type);
  }
  assert.equal((fake.handlers['schedule.event.detail.show'] || []).length, 1);
});

for (const type of EXPECTED_HINT_EVENTS) {
  test(`${type} is forwarded through the proxy as a hint`, async () => {
    const payload = {event: scheduleEvent(1234)};
    if (type in RANGE_EVENTS) {
      payload.range = 'ON_AND_AFTER';
    }
    const returned = await fire(type, payload);
    assert.equal(returned.type, type, 'the handler hands the event back');
    assert.equal(returned.event.id, '1234');

    assert.equal(fake.calls.length, 1);
    const [proxyCode, url, method, headers] = fake.calls[0];
    assert.equal(proxyCode, kakehashi.CONFIG.proxyCode);
    assert.equal(url, kakehashi.CONFIG.ingressUrl);
    assert.equal(method, 'POST');
    assert.deepEqual(headers, {'Content-Type': 'application/json'});

    const body = sentBody(fake.calls[0]);
    const expected = {
      source: 'garoon-js',
      eventType: type,
      eventId: '1234',
      actor: {id: '7', code: 'sato'},
      invitees: []
    };
    if (type in RANGE_EVENTS) {
      expected.range = 'ON_AND_AFTER';
    }
    assert.deepEqual(body, expected);
    assert.equal(JSON.stringify(body).includes('secret'), false, 'no secret in the body');
  });
}

test('the event type comes from the registration when the payload has none', async () => {
  const event = {event: scheduleEvent(58)};
  await fake.handlers['schedule.event.quick.create.submit.success'][0](event);
  assert.equal(sentBody(fake.calls[0]).eventType, 'schedule.event.quick.create.submit.success');
});

test('range defaults to what Garoon reports for a non-repeating event', async () => {
  for (const [type, range] of Object.entries(RANGE_EVENTS)) {
    fake.calls.length = 0;
    await fire(type, {event: scheduleEvent(55)});
    assert.equal(sentBody(fake.calls[0]).range, range, type);
  }
});

test('an unknown range value is replaced by the default', async () => {
  await fire('schedule.event.delete.submit.success', {event: scheduleEvent(56), range: 'EVERYTHING'});
  assert.equal(sentBody(fake.calls[0]).range, 'ALL');
});

test('events without range never carry one', async () => {
  await fire('schedule.event.edit.submit.success', {event: scheduleEvent(57), range: 'ALL'});
  assert.equal('range' in sentBody(fake.calls[0]), false);
});

test('an event without an id sends nothing and still continues', async () => {
  const event = {type: 'schedule.event.create.submit.success', event: {subject: 'x'}};
  const returned = await fake.handlers['schedule.event.create.submit.success'][0](event);
  assert.equal(returned, event);
  assert.equal(fake.calls.length, 0);
});

test('without garoon.Promise the handler returns the event synchronously', () => {
  fake.Promise = undefined;
  const event = {type: 'schedule.event.edit.submit.success', event: scheduleEvent(9)};
  const returned = fake.handlers['schedule.event.edit.submit.success'][0](event);
  assert.equal(returned, event);
  assert.equal(fake.calls.length, 1);
});

test('an event type this Garoon version rejects does not stop the other registrations', () => {
  const seen = [];
  const oldGaroon = {
    events: {
      on(type) {
        if (type.includes('attend') || type.includes('leave') || type.includes('arrange')) {
          throw new Error(`unknown event type: ${type}`);
        }
        seen.push(type);
      }
    }
  };
  globalThis.garoon = oldGaroon;
  try {
    const registered = kakehashi.register();
    assert.deepEqual(registered, seen);
    assert.ok(seen.includes('schedule.event.edit.submit.success'));
    assert.ok(seen.includes('schedule.event.delete.submit.success'));
    assert.ok(seen.includes('schedule.event.detail.show'));
    assert.equal(seen.length, EXPECTED_HINT_EVENTS.length + 1 - 3);
    assert.equal(errors.length, 3, 'each skipped event is logged');
  } finally {
    globalThis.garoon = fake;
  }
});

test('outside Garoon (no garoon.events) nothing is registered and nothing throws', () => {
  globalThis.garoon = {};
  try {
    assert.deepEqual(kakehashi.register(), []);
  } finally {
    globalThis.garoon = fake;
  }
});

// ------------------------------------------------------------------ failures never break the screen
test('a proxy that throws does not break the handler', async () => {
  fake.respond = () => {
    throw new Error('proxy setting not found');
  };
  const event = {type: 'schedule.event.edit.submit.success', event: scheduleEvent(10)};
  const returned = await fake.handlers['schedule.event.edit.submit.success'][0](event);
  assert.equal(returned, event);
  assert.ok(errors.length >= 1, 'the failure is logged to the console');
});

test('a rejected proxy promise does not break the handler', async () => {
  fake.respond = () => Promise.reject(new Error('network down'));
  const event = {type: 'schedule.event.delete.submit.success', event: scheduleEvent(11), range: 'ALL'};
  const returned = await fake.handlers['schedule.event.delete.submit.success'][0](event);
  assert.equal(returned, event);
  assert.ok(errors.length >= 1);
});

test('an HTTP error from the ingress does not break the handler', async () => {
  fake.respond = () => Promise.resolve(['{"error":"bad secret"}', 401, {}]);
  const event = {type: 'schedule.event.create.submit.success', event: scheduleEvent(12)};
  const returned = await fake.handlers['schedule.event.create.submit.success'][0](event);
  assert.equal(returned, event);
  assert.ok(errors.some((args) => String(args[0]).includes('401')));
});

test('a proxy that never answers releases the screen after waitMs', async () => {
  kakehashi.CONFIG.waitMs = 20;
  fake.respond = () => new Promise(() => {});
  const event = {type: 'schedule.event.quick.edit.submit.success', event: scheduleEvent(13)};
  const started = Date.now();
  const returned = await fake.handlers['schedule.event.quick.edit.submit.success'][0](event);
  assert.equal(returned, event);
  assert.ok(Date.now() - started < 2000);
});

test('a login user that cannot be read still sends the hint', async () => {
  const original = fake.base.user.getLoginUser;
  fake.base.user.getLoginUser = () => {
    throw new Error('not available');
  };
  try {
    await fire('schedule.event.edit.submit.success', {event: scheduleEvent(14)});
    assert.deepEqual(sentBody(fake.calls[0]).actor, {id: '', code: ''});
  } finally {
    fake.base.user.getLoginUser = original;
  }
});

// ------------------------------------------------------------------ Teams meeting button
function showDetail(id) {
  return fire('schedule.event.detail.show', {event: scheduleEvent(id)});
}

test('detail.show renders the Teams button, the invitee field and a status line', () => {
  const event = showDetail(321);
  assert.equal(event.event.id, '321');
  assert.equal(fake.headerSpace.children.length, 1);
  const button = fake.headerSpace.find('kakehashi-teams-button');
  assert.ok(button, 'button rendered');
  assert.equal(button.tagName, 'BUTTON');
  assert.ok(button.textContent.includes('Teams 会議を作成'));
  assert.ok(button.textContent.includes('Create Teams meeting'));
  assert.ok(fake.headerSpace.find('kakehashi-teams-invitees'), 'invitee field rendered');
  assert.ok(fake.headerSpace.find('kakehashi-teams-status'), 'status line rendered');
  assert.equal(fake.calls.length, 0, 'showing the screen sends nothing');
});

test('detail.show twice renders the button once', () => {
  showDetail(321);
  showDetail(321);
  assert.equal(fake.headerSpace.children.length, 1);
});

test('detail.show without a space element does nothing and does not throw', () => {
  fake.headerSpace = null;
  assert.equal(showDetail(1).event.id, '1');
  fake.schedule.event.getHeaderSpaceElement = undefined;
  assert.equal(showDetail(2).event.id, '2');
  fake.schedule.event.getHeaderSpaceElement = () => {
    throw new Error('not on this screen');
  };
  assert.equal(showDetail(3).event.id, '3');
});

test('detail.show for an unsaved event renders nothing', () => {
  fire('schedule.event.detail.show', {event: {subject: 'draft'}});
  assert.equal(fake.headerSpace.children.length, 0);
});

test('clicking posts the Teams request with the validated invitees', async () => {
  showDetail(777);
  const input = fake.headerSpace.find('kakehashi-teams-invitees');
  const button = fake.headerSpace.find('kakehashi-teams-button');
  const status = fake.headerSpace.find('kakehashi-teams-status');
  input.value = ' taro@example.com, hanako@example.net;Taro@Example.com\u3000jiro@sub.example.co.jp ';
  await button.click();

  assert.equal(fake.calls.length, 1);
  const [proxyCode, url, method, headers] = fake.calls[0];
  assert.equal(proxyCode, kakehashi.CONFIG.proxyCode);
  assert.equal(url, kakehashi.CONFIG.ingressUrl);
  assert.equal(method, 'POST');
  assert.deepEqual(headers, {'Content-Type': 'application/json'});
  assert.deepEqual(sentBody(fake.calls[0]), {
    source: 'garoon-js',
    eventType: 'kakehashi.teams.create',
    eventId: '777',
    actor: {id: '7', code: 'sato'},
    invitees: ['taro@example.com', 'hanako@example.net', 'jiro@sub.example.co.jp']
  });
  assert.ok(status.textContent.includes('受け付けました'), status.textContent);
  assert.ok(status.textContent.includes('Teams meeting requested'), status.textContent);
  assert.equal(button.disabled, false);
  assert.equal(input.value, '', 'the field is cleared after success');
});

test('clicking with no invitees still requests the meeting (Garoon attendees only)', async () => {
  showDetail(778);
  await fake.headerSpace.find('kakehashi-teams-button').click();
  assert.equal(fake.calls.length, 1);
  assert.deepEqual(sentBody(fake.calls[0]).invitees, []);
});

test('invalid e-mail addresses are rejected with a message and nothing is sent', async () => {
  showDetail(779);
  const input = fake.headerSpace.find('kakehashi-teams-invitees');
  const status = fake.headerSpace.find('kakehashi-teams-status');
  input.value = 'taro@example.com, not-an-address, hanako@@example.net';
  await fake.headerSpace.find('kakehashi-teams-button').click();
  assert.equal(fake.calls.length, 0);
  assert.ok(status.textContent.includes('無効なメールアドレス'), status.textContent);
  assert.ok(status.textContent.includes('Invalid e-mail address'), status.textContent);
  assert.ok(status.textContent.includes('not-an-address'));
  assert.ok(status.textContent.includes('hanako@@example.net'));
  assert.equal(input.value, 'taro@example.com, not-an-address, hanako@@example.net', 'the input is kept for correction');
});

test('a failed Teams request shows the HTTP status in both languages', async () => {
  fake.respond = () => Promise.resolve(['{"error":"unauthorized"}', 401, {}]);
  showDetail(780);
  const status = fake.headerSpace.find('kakehashi-teams-status');
  await fake.headerSpace.find('kakehashi-teams-button').click();
  assert.equal(fake.calls.length, 1);
  assert.ok(status.textContent.includes('作成できませんでした'), status.textContent);
  assert.ok(status.textContent.includes('Could not create the Teams meeting'), status.textContent);
  assert.ok(status.textContent.includes('HTTP 401'), status.textContent);
});

test('an unreachable proxy shows a failure message, not an exception', async () => {
  fake.respond = () => Promise.reject(new Error('offline'));
  showDetail(781);
  const status = fake.headerSpace.find('kakehashi-teams-status');
  await fake.headerSpace.find('kakehashi-teams-button').click();
  assert.ok(status.textContent.includes('Could not create the Teams meeting'), status.textContent);
});

test('too many invitees are refused before sending', async () => {
  showDetail(782);
  const addresses = Array.from({length: kakehashi.CONFIG.maxInvitees + 1}, (_, i) => `u${i}@example.com`);
  fake.headerSpace.find('kakehashi-teams-invitees').value = addresses.join(' ');
  await fake.headerSpace.find('kakehashi-teams-button').click();
  assert.equal(fake.calls.length, 0);
  assert.ok(fake.headerSpace.find('kakehashi-teams-status').textContent.includes('Too many invitees'));
});

// ------------------------------------------------------------------ invitee parsing
test('parseInvitees splits on commas, semicolons, spaces and Japanese separators', () => {
  const parsed = kakehashi.parseInvitees('a@example.com、b@example.com，c@example.com；d@example.com\ne@example.com');
  assert.deepEqual(parsed.invitees, ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com']);
  assert.deepEqual(parsed.invalid, []);
});

test('parseInvitees rejects malformed addresses', () => {
  const bad = ['plainaddress', '@example.com', 'a@', 'a@example', 'a..b@example.com', '.a@example.com',
    'a@-example.com', 'a@example.c', '<a@example.com>', `${'x'.repeat(65)}@example.com`];
  const parsed = kakehashi.parseInvitees(bad.join(' '));
  assert.deepEqual(parsed.invitees, []);
  assert.deepEqual(parsed.invalid, bad);
});

test('parseInvitees accepts ordinary addresses and drops duplicates', () => {
  const parsed = kakehashi.parseInvitees("o'brien+tag@mail.example.co.jp, First.Last@example.com first.last@EXAMPLE.com");
  assert.deepEqual(parsed.invitees, ["o'brien+tag@mail.example.co.jp", 'First.Last@example.com']);
  assert.deepEqual(kakehashi.parseInvitees('').invitees, []);
  assert.deepEqual(kakehashi.parseInvitees(undefined).invitees, []);
});
