export { signInAs, type SignInAsOptions, type SignInResult, type SignInTarget } from './sign-in-as.js'
