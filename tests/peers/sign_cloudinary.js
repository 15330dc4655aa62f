// Prints the signature Cloudinary's own Node library makes for the JSON params in argv[2]
// with the secret in argv[3]: the reference the C++ signature is checked against.
const cloudinary = require('cloudinary').v2;
const params = JSON.parse(process.argv[2]);
process.stdout.write(cloudinary.utils.api_sign_request(params, process.argv[3]));
