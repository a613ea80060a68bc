const port = process.env.PORT ?? '3000'

/** The address browsers use for this app. Agent tasks and sign-in redirect back to it. */
export const appUrl = process.env.APP_URL ?? `http://localhost:${port}`
