// Behalf's settings come from the environment at run time: BEHALF_SECRET_KEY (or
// NUXT_BEHALF_SECRET_KEY) and BEHALF_API_URL (or NUXT_BEHALF_API_URL).
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  modules: ['@behalf/nuxt'],
  devtools: { enabled: false },
  telemetry: false,
  app: {
    head: {
      htmlAttrs: { lang: 'en' },
      title: 'Behalf Nuxt example',
      meta: [{ name: 'viewport', content: 'width=device-width, initial-scale=1' }],
    },
  },
  css: ['~/assets/main.css'],
})
