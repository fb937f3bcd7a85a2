import { expect, test, type Locator } from '@playwright/test';
import sharp from 'sharp';
import { startAppServer } from './app-server.js';
import { chatMenu, createGroupInUi, deviceOf, isPhone, openChatWith, send, shot, signUp } from './helpers.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

/** A landscape photo-like PNG: a face-ish circle off the centre of a coloured field. */
const photo = () =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="600">
        <rect width="900" height="600" fill="#2d6a8f"/>
        <circle cx="450" cy="280" r="170" fill="#f2c38b"/>
        <circle cx="390" cy="250" r="22" fill="#333"/><circle cx="510" cy="250" r="22" fill="#333"/>
        <rect x="380" y="350" width="140" height="24" rx="12" fill="#a33"/>
      </svg>`,
    ),
  )
    .png()
    .toBuffer();

/** The avatar in `where` shows a photo that has loaded (not the initials). */
async function showsPhoto(where: Locator) {
  const img = where.getByTestId('avatar-photo').first();
  await expect(img).toBeVisible();
  await expect.poll(() => img.evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth)).toBe(336);
}

test('a profile photo: set in Settings, seen at once by the people one chats with, refused when not a photo, removed', async ({
  browser,
}) => {
  const eve = await signUp(browser, server.url, 'Eve Photo', deviceOf());
  const fay = await signUp(browser, server.url, 'Fay Friend', deviceOf());
  try {
    await openChatWith(fay, eve);
    await send(fay, 'nice to meet you');
    const header = fay.page.locator('header').filter({ has: fay.page.getByRole('heading', { name: 'Eve Photo' }) });
    await expect(header.getByTestId('avatar-photo')).toHaveCount(0);

    await eve.page.getByRole('button', { name: 'Menu' }).click();
    await eve.page.getByRole('menuitem', { name: 'Settings' }).click();
    const settings = eve.page.getByRole('region', { name: 'Settings' });
    await expect(settings.getByTestId('avatar-photo')).toHaveCount(0);
    await expect(settings.getByRole('button', { name: 'Remove photo' })).toHaveCount(0);
    await settings
      .getByTestId('photo-input')
      .setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: await photo() });
    await showsPhoto(settings);
    await expect(settings.getByRole('button', { name: 'Change photo' })).toBeVisible();
    await shot(eve.page, 'settings-photo');
    // Her own avatar at the top of the list (beside Settings on a desktop) follows.
    if (!isPhone()) await showsPhoto(eve.page.getByRole('navigation', { name: 'Conversations' }).locator('header'));

    // Fay's open chat shows it, and so does her list, without a reload.
    await showsPhoto(header);
    await shot(fay.page, 'chat-with-photo');
    if (isPhone()) await fay.page.getByRole('button', { name: 'Back' }).click();
    await showsPhoto(fay.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Eve Photo/ }));
    await shot(fay.page, 'list-with-photo');

    // Not a photo: a clear word, and the photo stays.
    await settings
      .getByTestId('photo-input')
      .setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('just some text\n') });
    await expect(settings.getByText('That file could not be read as a photo.', { exact: false })).toBeVisible();
    await showsPhoto(settings);

    await settings.getByRole('button', { name: 'Remove photo' }).click();
    await expect(settings.getByRole('button', { name: 'Add photo' })).toBeVisible();
    await expect(settings.getByTestId('avatar-photo')).toHaveCount(0);
    await expect(
      fay.page
        .getByRole('list', { name: 'Chats' })
        .getByRole('button', { name: /Eve Photo/ })
        .getByTestId('avatar-photo'),
    ).toHaveCount(0);
  } finally {
    for (const p of [eve, fay]) await p.page.context().close();
  }
});

test('a group photo: set by the owner in Members, seen by every member in the list and the header, with a line saying so', async ({
  browser,
}) => {
  const gus = await signUp(browser, server.url, 'Gus Owner', deviceOf());
  const hal = await signUp(browser, server.url, 'Hal Member', deviceOf());
  try {
    await createGroupInUi(gus, 'Photo club', [hal]);
    await chatMenu(gus, 'Members');
    const dialog = gus.page.getByRole('dialog', { name: 'Members of Photo club' });
    await expect(dialog.getByTestId('avatar-photo')).toHaveCount(0);
    await dialog
      .getByTestId('photo-input')
      .setInputFiles({ name: 'club.png', mimeType: 'image/png', buffer: await photo() });
    await showsPhoto(dialog);
    await expect(dialog.getByRole('button', { name: 'Change photo' })).toBeVisible();
    await shot(gus.page, 'group-photo-members');
    await gus.page.keyboard.press('Escape');
    await expect(gus.page.getByTestId('group-event').filter({ hasText: 'You changed the group photo' })).toBeVisible();
    await showsPhoto(gus.page.locator('header').filter({ has: gus.page.getByRole('heading', { name: 'Photo club' }) }));

    // Hal, a plain member, sees it in his list and in the chat, but has no button to change it.
    const item = hal.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Photo club/ });
    await showsPhoto(item);
    await item.click();
    await expect(
      hal.page.getByTestId('group-event').filter({ hasText: 'Gus Owner changed the group photo' }),
    ).toBeVisible();
    await showsPhoto(hal.page.locator('header').filter({ has: hal.page.getByRole('heading', { name: 'Photo club' }) }));
    await shot(hal.page, 'group-photo-chat');
    await chatMenu(hal, 'Members');
    const halDialog = hal.page.getByRole('dialog', { name: 'Members of Photo club' });
    await showsPhoto(halDialog);
    await expect(halDialog.getByRole('button', { name: /photo/ })).toHaveCount(0);
    await hal.page.keyboard.press('Escape');

    // Removed: initials again, for both.
    await chatMenu(gus, 'Members');
    await dialog.getByRole('button', { name: 'Remove photo' }).click();
    await expect(dialog.getByRole('button', { name: 'Add photo' })).toBeVisible();
    await expect(dialog.getByTestId('avatar-photo')).toHaveCount(0);
    await expect(
      hal.page.getByTestId('group-event').filter({ hasText: 'Gus Owner removed the group photo' }),
    ).toBeVisible();
    await expect(hal.page.locator('header').getByTestId('avatar-photo')).toHaveCount(0);
  } finally {
    for (const p of [gus, hal]) await p.page.context().close();
  }
});
