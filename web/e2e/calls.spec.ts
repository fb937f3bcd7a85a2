import { expect, test, type Page } from '@playwright/test';

import { spawn, type ChildProcess } from 'node:child_process';
import { startAppServer } from './app-server.js';
import { openChatWith, signUp, type Person } from './helpers.js';
import { freePort } from '../../test/helpers/processes.js';

/** Waits until the page's call is connected and video frames are being decoded. */
async function expectMediaFlowing(page: Page) {
  await page.waitForFunction(() => (globalThis as any).__chatifyCall?.pc?.connectionState === 'connected', null, {
    timeout: 20_000,
  });
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          const stats: Map<string, any> = await (globalThis as any).__chatifyCall.pc.getStats();
          let frames = 0;
          stats.forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded ?? 0;
          });
          return frames;
        }),
      { timeout: 20_000 },
    )
    .toBeGreaterThan(0);
}

/** The type of the local ICE candidate in use: 'host', 'srflx' or 'relay'. */
const localCandidateType = (page: Page) =>
  page.evaluate(async () => {
    const stats: Map<string, any> = await (globalThis as any).__chatifyCall.pc.getStats();
    let pairId = '';
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
    });
    const pair = stats.get(pairId);
    return pair ? stats.get(pair.localCandidateId)?.candidateType : undefined;
  });

async function placeVideoCall(alice: Person, bob: Person) {
  await openChatWith(alice, bob);
  await alice.page.getByRole('button', { name: 'Video call' }).click();
  await expect(alice.page.getByTestId('call-status')).toHaveText('Calling…');
  const incoming = bob.page.getByRole('dialog', { name: 'Incoming call' });
  await expect(incoming).toContainText(alice.name);
  await expect(incoming).toContainText('Incoming video call');
  await incoming.getByRole('button', { name: 'Accept' }).click();
}

test('a video call through the UI: media flows both ways, toggles change the tracks, hanging up ends both', async ({
  browser,
}) => {
  const server = await startAppServer();
  try {
    const alice = await signUp(browser, server.url, 'Alice Caller');
    const bob = await signUp(browser, server.url, 'Bob Callee');
    await placeVideoCall(alice, bob);
    await expectMediaFlowing(alice.page);
    await expectMediaFlowing(bob.page);
    await expect(alice.page.getByTestId('call-status')).toHaveText(/^\d+:\d\d$/);
    await alice.page.screenshot({ path: 'test-results/screens/desktop-video-call.png' });

    const senderEnabled = (kind: string) =>
      alice.page.evaluate(
        (k) => (globalThis as any).__chatifyCall.pc.getSenders().find((s: any) => s.track?.kind === k)?.track?.enabled,
        kind,
      );
    await alice.page.getByRole('button', { name: 'Mute' }).click();
    expect(await senderEnabled('audio')).toBe(false);
    // Bob is told, and sees Alice's picture rather than the black frames of a camera turned off.
    await expect(bob.page.getByTestId('peer-muted')).toHaveText('Alice Caller is muted');
    await alice.page.getByRole('button', { name: 'Camera off' }).click();
    expect(await senderEnabled('video')).toBe(false);
    await expect(bob.page.getByTestId('peer-camera-off')).toContainText('Camera off');
    await expect(bob.page.getByLabel('Remote video')).toBeHidden();
    await alice.page.getByRole('button', { name: 'Unmute' }).click();
    expect(await senderEnabled('audio')).toBe(true);
    await expect(bob.page.getByTestId('peer-muted')).toHaveCount(0);
    await bob.page.screenshot({ path: 'test-results/screens/desktop-video-call-peer-camera-off.png' });
    await alice.page.screenshot({ path: 'test-results/screens/desktop-video-call-controls.png' });
    await alice.page.getByRole('button', { name: 'Camera on' }).click();
    await expect(bob.page.getByTestId('peer-camera-off')).toHaveCount(0);
    await expect(bob.page.getByLabel('Remote video')).toBeVisible();

    // Bob's network drops for a few seconds (his socket closes): the call waits for him, he sees
    // that it is reconnecting, and once he is back it goes on for both (decision 044).
    await bob.page.context().setOffline(true);
    await expect(bob.page.getByTestId('call-status')).toHaveText(/^Reconnecting… \d+:\d\d$/);
    await alice.page.waitForTimeout(3000);
    await expect(alice.page.getByTestId('call-status')).toHaveText(/^\d+:\d\d$/);
    await bob.page.context().setOffline(false);
    await expect(bob.page.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
    await expect(bob.page.getByTestId('call-status')).toHaveText(/^\d+:\d\d$/);
    await bob.page.waitForTimeout(1500);
    await expect(alice.page.getByTestId('call-status')).toHaveText(/^\d+:\d\d$/);
    await expect(bob.page.getByTestId('call-status')).toHaveText(/^\d+:\d\d$/);
    await expectMediaFlowing(alice.page);
    await expectMediaFlowing(bob.page);

    await alice.page.getByRole('button', { name: 'Hang up' }).click();
    await expect(bob.page.getByTestId('call-status')).toHaveText('Call ended');
    await expect(bob.page.getByRole('dialog', { name: /Video call with/ })).toHaveCount(0, { timeout: 10_000 });
    await expect(alice.page.getByRole('dialog', { name: /Video call with/ })).toHaveCount(0);
    // The call is in the conversation for both.
    await expect(alice.page.getByTestId('call-event')).toContainText(/Video call · 0:\d\d/);
    await bob.page
      .getByRole('list', { name: 'Chats' })
      .getByRole('button', { name: /Alice Caller/ })
      .click();
    await expect(bob.page.getByTestId('call-event')).toContainText(/Video call · 0:\d\d/);
  } finally {
    await server.close();
  }
});

test('declining shows the caller "Call declined" and records it', async ({ browser }) => {
  const server = await startAppServer();
  try {
    const alice = await signUp(browser, server.url, 'Ann Ringer');
    const bob = await signUp(browser, server.url, 'Ben Busy');
    await openChatWith(alice, bob);
    await alice.page.getByRole('button', { name: 'Voice call' }).click();
    await bob.page.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Decline' }).click();
    await expect(alice.page.getByTestId('call-status')).toHaveText('Call declined');
    await expect(alice.page.getByTestId('call-event')).toHaveText(/Voice call declined/);
  } finally {
    await server.close();
  }
});

test('with relay-only users the call goes through a TURN server (coturn) using the server’s credentials', async ({
  browser,
}) => {
  const turnPort = await freePort();
  const secret = 'e2e-turn-shared-secret-0123456789';
  const turn: ChildProcess = spawn(
    'turnserver',
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${turnPort}`,
      '--min-port=49300',
      '--max-port=49400',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=chatify.test',
      '--allow-loopback-peers', // tests only: peers on 127.0.0.1
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--fingerprint',
      '--log-file=stdout',
      '--simple-log',
      '--verbose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let turnLog = '';
  turn.stdout?.on('data', (d) => (turnLog += d));
  const server = await startAppServer({ TURN_URLS: `turn:127.0.0.1:${turnPort}?transport=udp`, TURN_SECRET: secret });
  try {
    const alice = await signUp(browser, server.url, 'Rae Relay');
    const bob = await signUp(browser, server.url, 'Ray Relay');
    // Each turns on "Relay my calls" in Settings; it is saved (a reload shows it still on). The
    // chat list stays beside Settings at this size: the call starts from there.
    for (const p of [alice, bob]) {
      await p.page.getByRole('button', { name: 'Menu' }).click();
      await p.page.getByRole('menuitem', { name: 'Settings' }).click();
      const relay = p.page.getByRole('checkbox', { name: /Relay my calls/ });
      await expect(relay).toBeEnabled();
      await relay.check();
      await expect(relay).toBeChecked();
      await expect(relay).toBeEnabled();
      await p.page.reload();
      await expect(p.page.getByRole('checkbox', { name: /Relay my calls/ })).toBeChecked();
    }
    // The caller applies the answer slowly, so the callee's relay candidates arrive while it
    // is pending (in CI this happened by chance under load). A candidate dropped then is a
    // call that never connects: a relay-only peer has no other way to learn the path.
    await alice.page.evaluate(() => {
      const proto = (globalThis as any).RTCPeerConnection.prototype;
      const set = proto.setRemoteDescription;
      proto.setRemoteDescription = async function (this: unknown, ...args: unknown[]) {
        await new Promise((r) => setTimeout(r, 1500));
        return set.apply(this, args);
      };
    });
    await placeVideoCall(alice, bob);
    await expectMediaFlowing(alice.page);
    await expectMediaFlowing(bob.page);
    expect(await localCandidateType(alice.page)).toBe('relay');
    expect(await localCandidateType(bob.page)).toBe('relay');
    expect(turnLog).toMatch(/allocation|ALLOCATE/i);
    await alice.page.getByRole('button', { name: 'Hang up' }).click();
  } finally {
    await server.close();
    turn.kill('SIGTERM');
  }
});

test('when the browser refuses the camera and microphone, the caller is told why and nothing rings', async ({
  browser,
}) => {
  const server = await startAppServer();
  try {
    const alice = await signUp(browser, server.url, 'Pat Private');
    const bob = await signUp(browser, server.url, 'Quin Quiet');
    // As if the user had clicked "Block" on the permission prompt.
    await alice.page.addInitScript(() => {
      (globalThis as any).navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' }));
    });
    await alice.page.reload();
    await openChatWith(alice, bob);
    await alice.page.getByRole('button', { name: 'Video call' }).click();
    await expect(alice.page.getByTestId('call-status')).toHaveText(/Camera or microphone blocked/);
    await bob.page.waitForTimeout(500);
    await expect(bob.page.getByRole('dialog', { name: 'Incoming call' })).toHaveCount(0);

    // Offline, the call says so, not that the camera is missing (the walkthrough of session 39).
    await alice.page
      .getByRole('button', { name: /Close|Dismiss|OK/ })
      .first()
      .click({ timeout: 2000 })
      .catch(() => {});
    await alice.page.context().setOffline(true);
    await expect(alice.page.getByTestId('connection')).toHaveAttribute('data-state', 'offline');
    await alice.page.getByRole('button', { name: 'Voice call' }).click();
    await expect(alice.page.getByTestId('call-status')).toHaveText('You are offline: the call could not start');
    await alice.page.context().setOffline(false);
  } finally {
    await server.close();
  }
});

test('a call the server refuses ends at once with its reason, not "Calling…" for ever', async ({ browser }) => {
  const server = await startAppServer();
  try {
    const ray = await signUp(browser, server.url, 'Ray Twodevice');
    const sam = await signUp(browser, server.url, 'Sam Callee');
    const tia = await signUp(browser, server.url, 'Tia Other');
    // Ray's first device calls Sam, and it rings.
    await openChatWith(ray, sam);
    await ray.page.getByRole('button', { name: 'Voice call' }).click();
    await expect(sam.page.getByRole('dialog', { name: 'Incoming call' })).toBeVisible();
    // Ray's second device (the same browser, so the same account) calls Tia meanwhile: the
    // server refuses, since Ray is already in a call.
    const second: Person = { ...ray, page: await ray.page.context().newPage() };
    await second.page.goto(server.url);
    await expect(second.page.getByTestId('connection')).toHaveAttribute('data-state', 'online');
    await openChatWith(second, tia);
    await second.page.getByRole('button', { name: 'Voice call' }).click();
    await expect(second.page.getByTestId('call-status')).toHaveText('You are already in a call');
    await tia.page.waitForTimeout(500);
    await expect(tia.page.getByRole('dialog', { name: 'Incoming call' })).toHaveCount(0);
    // The first call is untouched: still ringing at Sam's.
    await expect(sam.page.getByRole('dialog', { name: 'Incoming call' })).toBeVisible();
  } finally {
    await server.close();
  }
});

test('the Calls page: each call with its direction and outcome, missed in red; a row opens the chat, the button calls back', async ({
  browser,
}) => {
  const server = await startAppServer();
  try {
    const ann = await signUp(browser, server.url, 'Ann Dialer');
    const ben = await signUp(browser, server.url, 'Ben Missed');
    await openChatWith(ann, ben);
    // A voice call Ben declines, then a video call Ann gives up on before Ben answers.
    await ann.page.getByRole('button', { name: 'Voice call' }).click();
    await ben.page.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Decline' }).click();
    await expect(ann.page.getByTestId('call-status')).toHaveText('Call declined');
    await expect(ann.page.getByRole('dialog', { name: /call with/ })).toHaveCount(0, { timeout: 15_000 });
    await ann.page.getByRole('button', { name: 'Video call' }).click();
    await expect(ben.page.getByRole('dialog', { name: 'Incoming call' })).toBeVisible();
    await ann.page.getByRole('button', { name: 'Hang up' }).click();
    await expect(ben.page.getByRole('dialog', { name: 'Incoming call' })).toHaveCount(0);
    await expect(ann.page.getByRole('dialog', { name: /call with/ })).toHaveCount(0, { timeout: 15_000 });
    // The chat list says so, in red for Ben (Tailwind's red-600); not for Ann, who gave up.
    const red = 'oklch(0.577 0.245 27.325)';
    const preview = (p: typeof ann) => p.page.getByRole('list', { name: 'Chats' }).getByTestId('preview');
    await expect(preview(ben)).toHaveText('Missed video call');
    await expect(preview(ben)).toHaveCSS('color', red);
    await expect(preview(ann)).toHaveText('Cancelled video call');
    await expect(preview(ann)).not.toHaveCSS('color', red);

    await ben.page.getByRole('button', { name: 'Menu' }).click();
    await ben.page.getByRole('menuitem', { name: 'Calls' }).click();
    // Focus goes to the new page's title (the menu item that had it is gone).
    await expect(ben.page.getByRole('heading', { name: 'Calls' })).toBeFocused();
    const rows = ben.page.getByRole('list', { name: 'Recent calls' }).getByTestId('call-row');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('Ann Dialer');
    await expect(rows.nth(0)).toContainText('Incoming: Missed video call');
    await expect(rows.nth(1)).toContainText('Incoming: Declined voice call');
    // Missed in red; declined by Ben himself is not missed.
    await expect(rows.nth(0).getByText('Missed video call').locator('..')).toHaveCSS('color', red);
    await expect(rows.nth(1).getByText('Declined voice call').locator('..')).not.toHaveCSS('color', red);
    await ben.page.screenshot({ path: 'test-results/screens/calls-page-desktop.png' });
    await ben.page.setViewportSize({ width: 390, height: 844 });
    await ben.page.screenshot({ path: 'test-results/screens/calls-page-phone.png' });
    await ben.page.setViewportSize({ width: 1280, height: 800 });

    // Ann's side: both outgoing.
    await ann.page.getByRole('button', { name: 'Menu' }).click();
    await ann.page.getByRole('menuitem', { name: 'Calls' }).click();
    const annRows = ann.page.getByRole('list', { name: 'Recent calls' }).getByTestId('call-row');
    await expect(annRows.nth(0)).toContainText('Outgoing: Cancelled video call');
    await expect(annRows.nth(1)).toContainText('Outgoing: Voice call declined');

    // Ben calls back by video from the list; Ann, on her Calls page, declines: both lists have
    // the new call on top (Ann's loaded again only once the server has saved the decline).
    // While it rings, both open lists show it on top, ringing (loaded again on the call's frames).
    await rows.nth(0).getByRole('button', { name: 'Video call Ann Dialer' }).click();
    const incoming = ann.page.getByRole('dialog', { name: 'Incoming call' });
    await expect(incoming).toContainText('Incoming video call');
    await expect(annRows).toHaveCount(3);
    await expect(annRows.nth(0)).toContainText('Incoming: Video call, ringing');
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(0)).toContainText('Outgoing: Video call, ringing');
    await incoming.getByRole('button', { name: 'Decline' }).click();
    await expect(ben.page.getByRole('dialog', { name: /call with/ })).toHaveCount(0, { timeout: 15_000 });
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(0)).toContainText('Outgoing: Video call declined');
    await expect(annRows).toHaveCount(3);
    await expect(annRows.nth(0)).toContainText('Incoming: Declined video call');

    // A row opens the chat, where the same calls are lines of the thread.
    await rows
      .nth(1)
      .getByRole('button', { name: /^Ann Dialer/ })
      .click();
    await expect(ben.page.getByRole('heading', { name: 'Ann Dialer' })).toBeVisible();
    await expect(ben.page.getByTestId('call-event')).toHaveCount(3);

    // Ann calls again by voice from her list; Ben opens his Calls page while it rings: the list
    // is there, with the ringing call, and no call can start from it until Ben declines.
    await annRows.nth(2).getByRole('button', { name: 'Voice call Ben Missed' }).click();
    await expect(ben.page.getByRole('dialog', { name: 'Incoming call' })).toBeVisible();
    await ben.page.getByRole('button', { name: 'Menu' }).click();
    await ben.page.getByRole('menuitem', { name: 'Calls' }).click();
    await expect(rows).toHaveCount(4);
    await expect(rows.nth(0)).toContainText('Incoming: Voice call, ringing');
    await expect(rows.nth(1).getByRole('button', { name: 'Video call Ann Dialer' })).toBeDisabled();
    // On a phone the banner's buttons take a row of their own: the caller's name is whole.
    await ben.page.setViewportSize({ width: 390, height: 844 });
    const banner = ben.page.getByRole('dialog', { name: 'Incoming call' });
    const name = banner.getByText('Ann Dialer');
    expect(await name.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    await ben.page.screenshot({ path: 'test-results/screens/incoming-call-phone.png' });
    await ben.page.setViewportSize({ width: 1280, height: 800 });
    await banner.getByRole('button', { name: 'Decline' }).click();
    await expect(rows.nth(0)).toContainText('Incoming: Declined voice call');
    await expect(rows.nth(1).getByRole('button', { name: 'Video call Ann Dialer' })).toBeEnabled();
    await expect(annRows.nth(0)).toContainText('Outgoing: Voice call declined');

    // On a phone, a chat opened from the Calls page goes back to it.
    await ben.page.setViewportSize({ width: 390, height: 844 });
    await rows
      .nth(0)
      .getByRole('button', { name: /^Ann Dialer/ })
      .click();
    await expect(ben.page.getByRole('heading', { name: 'Ann Dialer' })).toBeVisible();
    await ben.page.getByRole('button', { name: 'Back' }).click();
    await expect(ben.page.getByRole('heading', { name: 'Calls' })).toBeVisible();
    await ben.page.getByRole('button', { name: 'Back' }).click();
    await expect(ben.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  } finally {
    await server.close();
  }
});
