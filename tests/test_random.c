/*
 * Random numbers: Threefry known answers, MLX's bit layout, and every
 * distribution against outputs of MLX 0.32.4 for the same keys (embedded
 * below as raw bits, generated with mlx.core.random on the CPU). Also the
 * global key, parameters with any strides, each SIMD level against the
 * scalar reference, the threaded path, and the error cases.
 */
#include <pthread.h>
#include <stdlib.h>

#include "cpu/random.h"
#include "cpu/simd.h"
#include "core/threadpool.h"
#include "test.h"

/* ---- MLX 0.32.4 outputs; key = mx.random.key(2024), shape (3, 5) unless
 * named otherwise; bfloat16 as its bits. ---- */
static const uint32_t mlx_split_k0[4] = {0xf71f4ea9, 0x39a405d9, 0xa20e4081, 0x4bdfae2f};
static const uint32_t mlx_split3_k7[6] = {0x107b9334, 0x33609431, 0x71979c42,
                                          0x61dcd604, 0xace8297e, 0x539bb5ac};
static const uint32_t mlx_uniform_f32[15] = {
    0x3f4ed115, 0x3f1d2c4e, 0x3f46d774, 0x3f4a26e2, 0x3c7c8d1c, 0x3f28caa5, 0x3f705e3e, 0x3ea8482b,
    0x3efccd4c, 0x3f7d2b94, 0x3f335125, 0x3ed02c62, 0x3ecdf757, 0x3eeca2a8, 0x3e0d603c};
static const uint32_t mlx_uniform_lh_f32[15] = {
    0x40a5e8f4, 0x40466712, 0x409b3184, 0x409fa440, 0xc0556513, 0x4065a09c, 0x40d2fea4, 0x3d083e80,
    0x3fe767bc, 0x40e4328e, 0x4080f50a, 0x3f5eee90, 0x3f531170, 0x3fbbf524, 0xc0010358};
static const uint32_t mlx_normal_f32[15] = {
    0x3f5ebf0c, 0x3e944cc6, 0x3f42dcaa, 0x3f4e2365, 0xc00a3183, 0x3ed24321, 0x3fc5e0b4, 0xbee31c04,
    0xbc804422, 0x40127708, 0x3f069546, 0xbe720044, 0xbe7d6514, 0xbdc27385, 0xbf8b6681};
static const uint32_t mlx_normal_ls_f32[15] = {
    0x3edebf0c, 0x3f928999, 0x40185b95, 0x4059c46d, 0x403ae73e, 0x3f524321, 0x4082f05a, 0x3f8e71fe,
    0x403dfeef, 0x41093b84, 0x3fc9dfe8, 0x3e94ff9c, 0x3fa0fa18, 0x402dc52c, 0x3f3b98fc};
static const uint32_t mlx_trunc_f32[15] = {
    0x3ddcf556, 0xbd08b194, 0x3dae55e0, 0x3dc1acd3, 0xbef98401, 0xb9ba914b, 0x3e5153ea, 0xbe791470,
    0xbdf7fe8e, 0x3e7783ad, 0x3cf21955, 0xbe3db1e8, 0xbe40f657, 0xbe13b913, 0xbec738dc};
static const uint32_t mlx_gumbel_f32[15] = {
    0x3fc5bd8f, 0x3f37c0fc, 0x3fb01623, 0x3fb8bc8a, 0xbfb6d92c, 0x3f6036ee, 0x4030ee09, 0xbddaaceb,
    0x3eb273ba, 0x408ffb51, 0x3f843188, 0x3dd7e26c, 0x3dbfc513, 0x3e849eda, 0xbf2ee112};
static const uint32_t mlx_laplace_f32[15] = {
    0xbf74dbaa, 0xbe846f1a, 0xbf4e6367, 0xbf5da933, 0x405eacce, 0xbec47830, 0xc00692f4, 0x3ed6cd86,
    0x3c4df6c8, 0xc073f521, 0xbf03295e, 0x3e53c4fc, 0x3e5eaf42, 0x3da116e1, 0x3fa4b934};
static const uint32_t mlx_laplace_ls_f32[15] = {
    0x3f9b4573, 0x3fb61144, 0x3fa10ab0, 0x3f9ec038, 0x4022cd71, 0x3fb143c9, 0x3f5e82db, 0x3fd01c37,
    0x3fc07b94, 0x3eb6807c, 0x3fac5365, 0x3fc7f0fd, 0x3fc859c6, 0x3fc3053b, 0x3ff16ac3};
static const uint16_t mlx_uniform_f16[15] = {0x3a77, 0x38e9, 0x3a37, 0x3a51, 0x23e4,
                                             0x3946, 0x3b83, 0x3542, 0x37e6, 0x3be9,
                                             0x399b, 0x3681, 0x3670, 0x3765, 0x306b};
static const uint16_t mlx_uniform_lh_f16[15] = {0x4530, 0x4232, 0x44da, 0x44fc, 0xc2ab,
                                                0x432c, 0x4698, 0x2840, 0x3f3c, 0x4722,
                                                0x4408, 0x3af8, 0x3a98, 0x3de0, 0xc008};
static const uint16_t mlx_normal_f16[15] = {0x3af6, 0x34a2, 0x3a16, 0x3a71, 0xc051,
                                            0x3691, 0x3e2e, 0xb719, 0xa402, 0x4094,
                                            0x3835, 0xb390, 0xb3ea, 0xae13, 0xbc5b};
static const uint16_t mlx_normal_ls_f16[15] = {0x36f6, 0x3c94, 0x40c3, 0x42ce, 0x41d8,
                                               0x3a91, 0x4417, 0x3c74, 0x41f0, 0x484a,
                                               0x3e4f, 0x34a8, 0x3d08, 0x416e, 0x39e0};
static const uint16_t mlx_trunc_f16[15] = {0x2ee8, 0xa84f, 0x2d73, 0x2e0a, 0xb7cb,
                                           0x9103, 0x3287, 0xb3c8, 0xafc1, 0x33bc,
                                           0x279a, 0xb1ed, 0xb207, 0xb09e, 0xb63a};
static const uint16_t mlx_gumbel_f16[15] = {0x3e30, 0x39bd, 0x3d82, 0x3dc5, 0xbdb7,
                                            0x3b01, 0x4188, 0xaede, 0x3592, 0x447c,
                                            0x3c22, 0x2eb7, 0x2dfe, 0x3424, 0xb977};
static const uint16_t mlx_laplace_f16[15] = {0xbba7, 0xb423, 0xba73, 0xbaed, 0x42f5,
                                             0xb624, 0xc035, 0x36b6, 0x2270, 0xc3a0,
                                             0xb819, 0x329e, 0x32f5, 0x2d09, 0x3d26};
static const uint16_t mlx_laplace_ls_f16[15] = {0x3cda, 0x3db1, 0x3d08, 0x3cf6, 0x4116,
                                                0x3d8a, 0x3af3, 0x3e81, 0x3e04, 0x35b4,
                                                0x3d63, 0x3e40, 0x3e43, 0x3e18, 0x3f8c};
static const uint16_t mlx_uniform_bf16[15] = {0x3f4f, 0x3f1d, 0x3f47, 0x3f4a, 0x3c7d,
                                              0x3f29, 0x3f70, 0x3ea8, 0x3efd, 0x3f7d,
                                              0x3f33, 0x3ed0, 0x3ece, 0x3eed, 0x3e0d};
static const uint16_t mlx_uniform_lh_bf16[15] = {0x40a6, 0x4046, 0x409c, 0x40a0, 0xc055,
                                                 0x4066, 0x40d2, 0x3d00, 0x3fe8, 0x40e4,
                                                 0x4081, 0x3f60, 0x3f50, 0x3fbc, 0xc002};
static const uint16_t mlx_normal_bf16[15] = {0x3f5f, 0x3e94, 0x3f43, 0x3f4e, 0xc00a,
                                             0x3ed3, 0x3fc6, 0xbee4, 0xbc80, 0x4012,
                                             0x3f06, 0xbe72, 0xbe7d, 0xbdc2, 0xbf8b};
static const uint16_t mlx_normal_ls_bf16[15] = {0x3edf, 0x3f92, 0x4018, 0x405a, 0x403b,
                                                0x3f53, 0x4083, 0x3f8e, 0x403e, 0x4109,
                                                0x3fca, 0x3e94, 0x3fa1, 0x402e, 0x3f3c};
static const uint16_t mlx_trunc_bf16[15] = {0x3dd8, 0xbd0d, 0x3daa, 0x3dbf, 0xbef9,
                                            0xbb20, 0x3e4e, 0xbe7a, 0xbdfc, 0x3e73,
                                            0x3cdd, 0xbe3f, 0xbe42, 0xbe14, 0xbec7};
static const uint16_t mlx_gumbel_bf16[15] = {0x3fc6, 0x3f38, 0x3fb0, 0x3fb8, 0xbfb6,
                                             0x3f61, 0x402f, 0xbde3, 0x3eb4, 0x408e,
                                             0x3f84, 0x3dd2, 0x3dc1, 0x3e86, 0xbf2f};
static const uint16_t mlx_laplace_bf16[15] = {0xbf75, 0xbe84, 0xbf4e, 0xbf5e, 0x405f,
                                              0xbec4, 0xc007, 0x3ed7, 0x3c4e, 0xc074,
                                              0xbf03, 0x3e54, 0x3e5f, 0x3da1, 0x3fa5};
static const uint16_t mlx_laplace_ls_bf16[15] = {0x3f9b, 0x3fb6, 0x3fa1, 0x3f9e, 0x4023,
                                                 0x3fb1, 0x3f5e, 0x3fd0, 0x3fc0, 0x3eb4,
                                                 0x3fac, 0x3fc8, 0x3fc8, 0x3fc3, 0x3ff2};
static const uint32_t mlx_uniform_arr[15] = {
    0x3f4ed115, 0x3f800000, 0x3f9c9446, 0x3fb5d91e, 0x407d0a59, 0x40d2fd4e, 0x41173503, 0x40942416,
    0x40ce99d1, 0x411ef058, 0x428c1765, 0x42250254, 0x4225b15f, 0x423f5343, 0x418a082d};
static const uint64_t mlx_normal_f64[15] = {
    0x3febd7e17c54a20d, 0x3fd28998bc735eb2, 0x3fe85b954aa9dec1, 0x3fe9c46ca92ffdfa,
    0xc00146306e7a488e, 0x3fda48641a00b536, 0x3ff8bc168abbdbde, 0xbfdc63807efb11af,
    0xbf90088441e6a8b5, 0x40024ee10f6804a7, 0x3fe0d2a8b7d93b5c, 0xbfce400880a0b97b,
    0xbfcfaca298fa49a1, 0xbfb84e70b36879ee, 0xbff16cd02bbc27be};
static const uint32_t mlx_normal_c64[30] = {
    0x3e0a6700, 0x3ebcda9b, 0xbd8725cd, 0x3d40fc14, 0xbf0e67ca, 0xbef8006c, 0x3e4b5268, 0x3eb4d467,
    0xbe88c2a5, 0x3f54d87f, 0xbe89a32a, 0xbea3318a, 0x3e919e0a, 0x3eb237fa, 0x3ea31898, 0xbf82e1ec,
    0xbfbdffc3, 0xbdd76dbf, 0x3f81166b, 0xbb2e8c8d, 0xbf4b8505, 0xbe8b815f, 0x3f87d555, 0x3f0ed93c,
    0xbd3da42b, 0xbf2f1c35, 0xbf0f8f93, 0xbd3da29d, 0x3f26336a, 0x3f845984};
static const uint32_t mlx_normal_c64_ls[30] = {
    0x3fa299c0, 0x3f3cda9b, 0x3f5e368d, 0x3dc0fc14, 0xbde67ca0, 0xbf78006c, 0x3fb2d49a, 0x3f34d467,
    0x3eee7ab6, 0x3fd4d87f, 0x3eecb9ac, 0xbf23318a, 0x3fc8cf05, 0x3f3237fa, 0x3fd18c4c, 0xc002e1ec,
    0xbffbff86, 0xbe576dbf, 0x4041166b, 0xbbae8c8d, 0xbf170a0a, 0xbf0b815f, 0x4047d555, 0x3f8ed93c,
    0x3f684b7b, 0xbfaf1c35, 0xbdf8f930, 0xbdbda29d, 0x401319b5, 0x40045984};
static const uint32_t mlx_trunc_wide[15] = {
    0x3f5ec9c2, 0x3e946b88, 0x3f42e80e, 0x3f4e2e80, 0xc009d152, 0x3ed25f72, 0x3fc5e48a, 0xbee2e36a,
    0xbc7bb229, 0x40127872, 0x3f06a267, 0xbe71a302, 0xbe7d06e3, 0xbdc1ce67, 0xbf8b48b8};
static const uint64_t mlx_laplace_f64[15] = {
    0xbfee9b754a359954, 0xbfd08de3517ccab1, 0xbfe9cc6ce9935f5e, 0xbfebb5266034d640,
    0x400bd599bcead139, 0xbfd88f060ab14b8d, 0xc000d25e719d7a2e, 0x3fdad9b0be89242b,
    0x3f89bed8fd94c68d, 0xc00e7ea42010015c, 0xbfe0652bb4937f7a, 0x3fca789f88b18b28,
    0x3fcbd5e843c4c6de, 0x3fb422dc29ae62e8, 0x3ff497268ce5d836};
static const uint8_t mlx_bernoulli[15] = {0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mlx_bernoulli_p[15] = {0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01,
                                            0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x01};
static const uint8_t mlx_bernoulli_p64[15] = {0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01,
                                              0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x01};
static const uint32_t mlx_randint_i32[15] = {
    0x0000004f, 0x0000003b, 0x0000004c, 0x0000004d, 0xfffffffc, 0x00000040, 0x0000005d, 0x0000001d,
    0x0000002e, 0x00000062, 0x00000044, 0x00000025, 0x00000025, 0x0000002b, 0x00000009};
static const uint8_t mlx_randint_i8[15] = {0x4f, 0x3b, 0x4c, 0x4d, 0xfc, 0x40, 0x5d, 0x1d,
                                           0x2e, 0x62, 0x44, 0x25, 0x25, 0x2b, 0x09};
static const uint8_t mlx_randint_u8[15] = {0xa1, 0x7a, 0x9b, 0x9d, 0x03, 0x83, 0xbb, 0x41,
                                           0x62, 0xc5, 0x8c, 0x51, 0x50, 0x5c, 0x1b};
static const uint8_t mlx_randint_bool[15] = {0x01, 0x01, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00,
                                             0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00};
/* MLX 0.32.4 (float32 draws; cmlx is exact beyond 2^24, see randint_matches_mlx) */
static const uint64_t mlx_randint_i64[15] = {
    0x000000ced1150000, 0x0000009d2c4e0000, 0x000000c6d7740000, 0x000000ca26e20000,
    0x00000003f2347000, 0x000000a8caa50000, 0x000000f05e3e0000, 0x0000005424158000,
    0x0000007e66a60000, 0x000000fd2b940000, 0x000000b351250000, 0x0000006816310000,
    0x00000066fbab8000, 0x0000007651540000, 0x00000023580f0000};
static const uint32_t mlx_randint_float[15] = {
    0x00000006, 0x00000005, 0x00000006, 0x00000006, 0x00000001, 0x00000005, 0x00000006, 0x00000003,
    0x00000004, 0x00000006, 0x00000005, 0x00000003, 0x00000003, 0x00000004, 0x00000002};
/* randint([-10, 0, 1e6, 5, -3], [[10], [1000300], [6]]) as int32 and int16
 * (the int16 cast wraps, then the clamps apply in int16). */
static const uint32_t mlx_randint_arr[15] = {
    0x00000006, 0x00000006, 0x000f4240, 0x00000008, 0xfffffffd, 0x000a1050, 0x000e54d3, 0x000f42a2,
    0x00078950, 0x000f183a, 0x00000001, 0x00000002, 0x000f4240, 0x00000005, 0xfffffffe};
static const uint16_t mlx_randint_arr_i16[15] = {0x0006, 0x0006, 0x4240, 0x0008, 0xfffd,
                                                 0x1050, 0x436b, 0x42a2, 0x0005, 0x183a,
                                                 0x0001, 0x0002, 0x4240, 0x0005, 0xfffe};
static const uint32_t mlx_cat_m1[12] = {0x00000002, 0x00000003, 0x00000000, 0x00000004,
                                        0x00000004, 0x00000001, 0x00000000, 0x00000003,
                                        0x00000000, 0x00000004, 0x00000002, 0x00000001};
static const uint32_t mlx_cat_0[20] = {0x00000001, 0x00000002, 0x00000000, 0x00000002, 0x00000001,
                                       0x00000000, 0x00000001, 0x00000001, 0x00000000, 0x00000001,
                                       0x00000000, 0x00000002, 0x00000002, 0x00000002, 0x00000002,
                                       0x00000001, 0x00000002, 0x00000002, 0x00000001, 0x00000000};
static const uint32_t mlx_cat_ns[105] = {
    0x00000001, 0x00000001, 0x00000003, 0x00000002, 0x00000003, 0x00000001, 0x00000001, 0x00000003,
    0x00000003, 0x00000003, 0x00000003, 0x00000003, 0x00000002, 0x00000002, 0x00000000, 0x00000002,
    0x00000002, 0x00000000, 0x00000002, 0x00000000, 0x00000002, 0x00000002, 0x00000002, 0x00000001,
    0x00000002, 0x00000003, 0x00000002, 0x00000001, 0x00000003, 0x00000003, 0x00000001, 0x00000000,
    0x00000003, 0x00000003, 0x00000003, 0x00000003, 0x00000002, 0x00000002, 0x00000002, 0x00000002,
    0x00000003, 0x00000003, 0x00000000, 0x00000000, 0x00000000, 0x00000001, 0x00000000, 0x00000000,
    0x00000000, 0x00000001, 0x00000001, 0x00000001, 0x00000003, 0x00000002, 0x00000002, 0x00000001,
    0x00000001, 0x00000001, 0x00000000, 0x00000003, 0x00000003, 0x00000003, 0x00000003, 0x00000000,
    0x00000002, 0x00000000, 0x00000001, 0x00000000, 0x00000003, 0x00000000, 0x00000002, 0x00000000,
    0x00000000, 0x00000002, 0x00000002, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000002,
    0x00000002, 0x00000002, 0x00000000, 0x00000000, 0x00000003, 0x00000002, 0x00000002, 0x00000002,
    0x00000003, 0x00000003, 0x00000002, 0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x00000001,
    0x00000001, 0x00000001, 0x00000001, 0x00000002, 0x00000002, 0x00000001, 0x00000001, 0x00000003,
    0x00000002};
static const uint32_t mlx_cat_shape[24] = {
    0x00000004, 0x00000003, 0x00000003, 0x00000001, 0x00000000, 0x00000002, 0x00000000, 0x00000003,
    0x00000001, 0x00000001, 0x00000001, 0x00000003, 0x00000004, 0x00000004, 0x00000003, 0x00000001,
    0x00000004, 0x00000002, 0x00000000, 0x00000003, 0x00000002, 0x00000001, 0x00000003, 0x00000002};
static const uint32_t mlx_cat_f16[12] = {0x00000002, 0x00000003, 0x00000000, 0x00000004,
                                         0x00000004, 0x00000001, 0x00000000, 0x00000003,
                                         0x00000000, 0x00000004, 0x00000002, 0x00000001};
static const uint32_t mlx_perm10[10] = {0x00000000, 0x00000004, 0x00000003, 0x00000006, 0x00000005,
                                        0x00000002, 0x00000001, 0x00000007, 0x00000009, 0x00000008};
static const uint32_t mlx_perm_x0[20] = {
    0x00000005, 0x00000006, 0x00000007, 0x00000008, 0x00000009, 0x00000000, 0x00000001,
    0x00000002, 0x00000003, 0x00000004, 0x0000000a, 0x0000000b, 0x0000000c, 0x0000000d,
    0x0000000e, 0x0000000f, 0x00000010, 0x00000011, 0x00000012, 0x00000013};
static const uint32_t mlx_perm_x1[20] = {
    0x00000003, 0x00000000, 0x00000004, 0x00000002, 0x00000001, 0x00000008, 0x00000005,
    0x00000009, 0x00000007, 0x00000006, 0x0000000d, 0x0000000a, 0x0000000e, 0x0000000c,
    0x0000000b, 0x00000012, 0x0000000f, 0x00000013, 0x00000011, 0x00000010};
static const uint32_t mlx_mvn[18] = {0x3feb6bec, 0x3f585c64, 0x408fcf87, 0x3fc0a2e1, 0x3ec24680,
                                     0x3f95a534, 0x40102891, 0x3f873478, 0x406c613a, 0x3f5ca55e,
                                     0x3ffb92c6, 0x4033e523, 0x3e90f6c8, 0x4019b94a, 0x40245502,
                                     0x3fa90f26, 0x3ec887b0, 0x406069e2};
static const uint32_t mlx_seed0_uniform2[2] = {0x3dd7cbb9, 0x3e8eb448};
static const uint32_t mlx_seedbig_uniform[7] = {0x3ce73dc1, 0x3f6b1ed1, 0x3e9988aa, 0x3e229403,
                                                0x3eeadbb7, 0x3f798bd4, 0x3f752910};
/* uniform((300001,)): sum and xor of the uint32 words, words at 0, 1, 150000, 150001, 300000 */
static const uint32_t mlx_big_uniform[7] = {0xfb9a2e9f, 0x3ff66d9b, 0x3edb3c1c, 0x3a83cfba,
                                            0x3eb9ace5, 0x3f06cab9, 0x3f1e1f5a};
/* normal((300001,)): sum and xor of the uint32 words, words at 0, 1, 150000, 150001, 300000 */
static const uint32_t mlx_big_normal[7] = {0xacc0f7c4, 0x3beadf8a, 0xbe3951e9, 0xc045aacc,
                                           0xbeb3e99f, 0x3d884c6e, 0x3e99453c};
/* perm((300001,)): sum and xor of the uint32 words, words at 0, 1, 150000, 150001, 300000 */
static const uint32_t mlx_big_perm[7] = {0x7a37cbf0, 0x000493e0, 0x00026674, 0x0000ea92,
                                         0x00011da0, 0x00018169, 0x0000fa56};

/* ---- helpers ---- */

static const int32_t SH[2] = {3, 5};

static mx_array *key(uint64_t seed) {
    mx_array *k = NULL;
    CHECK_OK(mx_random_key(&k, seed));
    return k;
}

static mx_array *f32(float v) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_float(&a, v, MX_FLOAT32));
    return a;
}

static mx_array *vec_f32(const float *v, const int32_t *shape, int ndim) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, shape, ndim, MX_FLOAT32));
    return a;
}

/* Evaluates a, checks dtype and size, and compares its bytes with want. */
static bool same_bits(mx_array *a, mx_dtype dtype, const void *want, size_t n, const char *what) {
    if (!a) {
        fprintf(stderr, "  %s: no array (%s)\n", what, mx_last_error());
        return false;
    }
    if (mx_eval(&a, 1) != MX_OK) {
        fprintf(stderr, "  %s: eval failed: %s\n", what, mx_last_error());
        return false;
    }
    if (mx_array_dtype(a) != dtype || mx_array_size(a) != n) {
        fprintf(stderr, "  %s: dtype %s size %zu, wanted %s size %zu\n", what,
                mx_dtype_name(mx_array_dtype(a)), mx_array_size(a), mx_dtype_name(dtype), n);
        return false;
    }
    size_t nb = mx_array_nbytes(a);
    unsigned char *got = malloc(nb ? nb : 1);
    CHECK_OK(mx_array_copy_to(a, got, nb));
    bool ok = memcmp(got, want, nb) == 0;
    if (!ok) {
        size_t isz = mx_array_itemsize(a);
        for (size_t i = 0; i < nb; i++) {
            if (got[i] != ((const unsigned char *)want)[i]) {
                fprintf(stderr, "  %s: first difference in element %zu\n", what, i / isz);
                break;
            }
        }
    }
    free(got);
    return ok;
}

#define CHECK_BITS(a, dtype, want, what)                                                           \
    CHECK(same_bits((a), (dtype), (want), sizeof(want) / sizeof((want)[0]), what))

/* Both arrays evaluated and bitwise equal (same dtype, shape and values). */
static bool same_arrays(mx_array *a, mx_array *b) {
    if (mx_eval(&a, 1) || mx_eval(&b, 1)) return false;
    if (mx_array_dtype(a) != mx_array_dtype(b) || mx_array_ndim(a) != mx_array_ndim(b))
        return false;
    for (int d = 0; d < mx_array_ndim(a); d++)
        if (mx_array_dim(a, d) != mx_array_dim(b, d)) return false;
    size_t nb = mx_array_nbytes(a);
    unsigned char *x = malloc(nb + 1), *y = malloc(nb + 1);
    mx_array_copy_to(a, x, nb);
    mx_array_copy_to(b, y, nb);
    bool ok = memcmp(x, y, nb) == 0;
    free(x);
    free(y);
    return ok;
}

static void read_f64(mx_array *a, double *dst, size_t n) {
    mx_array *c = NULL;
    CHECK_OK(mx_astype(&c, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&c, 1));
    CHECK(mx_array_size(c) == n);
    CHECK_OK(mx_array_copy_to(c, dst, n * sizeof(double)));
    mx_array_free(c);
}

/* ---- the generator ---- */

TEST(threefry_known_answers) {
    /* Random123's kat_vectors for threefry2x32_20. */
    uint32_t o[2];
    mxi_threefry2x32(0, 0, 0, 0, o);
    CHECK(o[0] == 0x6b200159u && o[1] == 0x99ba4efeu);
    mxi_threefry2x32(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, o);
    CHECK(o[0] == 0x1cb996fcu && o[1] == 0xbb002be7u);
    mxi_threefry2x32(0x13198a2eu, 0x03707344u, 0x243f6a88u, 0x85a308d3u, o);
    CHECK(o[0] == 0xc4923a9cu && o[1] == 0x483df7a0u);
}

TEST(keys_and_split) {
    uint32_t k[2];
    mx_array *a = NULL;
    CHECK_OK(mx_random_key(&a, 0));
    CHECK(mx_array_dtype(a) == MX_UINT32 && mx_array_ndim(a) == 1 && mx_array_dim(a, 0) == 2);
    CHECK_OK(mx_array_copy_to(a, k, sizeof k));
    CHECK(k[0] == 0 && k[1] == 0);
    CHECK_OK(mx_random_key(&a, (1ull << 40) + 5)); /* MLX: [256, 5] */
    CHECK_OK(mx_array_copy_to(a, k, sizeof k));
    CHECK(k[0] == 256 && k[1] == 5);
    CHECK_OK(mx_random_key(&a, UINT64_MAX));
    CHECK_OK(mx_array_copy_to(a, k, sizeof k));
    CHECK(k[0] == 0xffffffffu && k[1] == 0xffffffffu);
    mx_array_free(a);

    mx_array *k0 = key(0), *k7 = key(7), *s = NULL;
    CHECK_OK(mx_random_split(&s, k0, 2, NULL));
    CHECK(mx_array_ndim(s) == 2 && mx_array_dim(s, 0) == 2 && mx_array_dim(s, 1) == 2);
    CHECK_BITS(s, MX_UINT32, mlx_split_k0, "split(key(0))");
    CHECK_OK(mx_random_split(&s, k7, 3, NULL));
    CHECK_BITS(s, MX_UINT32, mlx_split3_k7, "split(key(7), 3)");
    mx_array *first = NULL, *second = NULL;
    CHECK_OK(mx_random_split_pair(&first, &second, k0, NULL));
    CHECK(mx_array_ndim(first) == 1 && mx_array_dim(second, 0) == 2);
    CHECK(same_bits(first, MX_UINT32, mlx_split_k0, 2, "split pair first"));
    CHECK(same_bits(second, MX_UINT32, mlx_split_k0 + 2, 2, "split pair second"));
    /* A sub-key that is a strided view (a column of a transposed split)
     * works as a key. */
    mx_array *t = NULL, *col = NULL, *u1 = NULL, *u2 = NULL, *kc = NULL;
    CHECK_OK(mx_random_split(&s, k7, 3, NULL));
    CHECK_OK(mx_transpose(&t, s, NULL, 0, NULL));
    int32_t st[2] = {0, 1}, sp[2] = {2, 2}, one[2] = {1, 1}, two = 2;
    CHECK_OK(mx_slice(&col, t, st, sp, one, 2, NULL));
    CHECK_OK(mx_reshape(&col, col, &two, 1, NULL));
    CHECK_OK(mx_array_from_data(&kc, mlx_split3_k7 + 2, &two, 1, MX_UINT32));
    CHECK_OK(mx_random_uniform(&u1, NULL, NULL, SH, 2, MX_FLOAT32, col, NULL));
    CHECK_OK(mx_random_uniform(&u2, NULL, NULL, SH, 2, MX_FLOAT32, kc, NULL));
    CHECK(same_arrays(u1, u2));
    CHECK_OK(mx_random_split(&s, k0, 0, NULL));
    CHECK(mx_array_size(s) == 0 && mx_array_dim(s, 1) == 2);
    CHECK_OK(mx_eval(&s, 1));
    mx_array *objs[] = {k0, k7, s, first, second, t, col, u1, u2, kc};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

/* MLX's RandomBits::eval_cpu for one key, written out plainly: words are
 * made in pairs (c, c + half + odd); an odd count's middle word is the
 * first half of the hash of (half, 0); bytes are the words' first bytes. */
static void ref_bits(uint32_t k0, uint32_t k1, size_t bytes, uint8_t *out) {
    size_t words = (bytes + 3) / 4, half = words / 2, odd = words % 2;
    uint32_t *w = calloc(words + 1, sizeof(uint32_t));
    uint32_t h[2];
    for (size_t c = 0; c < half; c++) {
        mxi_threefry2x32(k0, k1, (uint32_t)c, (uint32_t)(c + half + odd), h);
        w[c] = h[0];
        w[c + half + odd] = h[1];
    }
    if (odd) {
        mxi_threefry2x32(k0, k1, (uint32_t)half, 0, h);
        w[half] = h[0];
    }
    memcpy(out, w, bytes);
    free(w);
}

TEST(bits_layout) {
    mx_array *k = key(99), *b = NULL;
    const int widths[3] = {1, 2, 4};
    const mx_dtype types[3] = {MX_UINT8, MX_UINT16, MX_UINT32};
    uint8_t *want = malloc(4 * 100003 + 8);
    for (int32_t n = 0; n <= 70; n++) {
        for (int w = 0; w < 3; w++) {
            CHECK_OK(mx_random_bits(&b, &n, 1, widths[w], k, NULL));
            ref_bits(0, 99, (size_t)n * widths[w], want);
            char what[64];
            snprintf(what, sizeof what, "bits n=%d width=%d", n, widths[w]);
            CHECK(same_bits(b, types[w], want, (size_t)n, what));
        }
    }
    /* Large enough for the thread pool, odd word count. */
    int32_t big[2] = {7, 14286}; /* 100002 uint8 = 25001 words */
    CHECK_OK(mx_random_bits(&b, big, 2, 1, k, NULL));
    ref_bits(0, 99, 100002, want);
    CHECK(same_bits(b, MX_UINT8, want, 100002, "bits big"));
    int32_t big4 = 100003;
    CHECK_OK(mx_random_bits(&b, &big4, 1, 4, k, NULL));
    ref_bits(0, 99, 4 * 100003, want);
    CHECK(same_bits(b, MX_UINT32, want, 100003, "bits big 4"));
    /* uniform float32 is exactly bits / 2^32 (MLX). */
    mx_array *u = NULL;
    CHECK_OK(mx_random_uniform(&u, NULL, NULL, &big4, 1, MX_FLOAT32, k, NULL));
    CHECK_OK(mx_eval(&u, 1));
    const float *uf = mx_array_data(u);
    const uint32_t *ww = (const uint32_t *)want;
    bool ok = true;
    for (int i = 0; i < big4; i++) {
        float e = (float)ww[i] * 0x1p-32f;
        if (e > 0x1.fffffep-1f) e = 0x1.fffffep-1f;
        ok = ok && uf[i] == e;
    }
    CHECK(ok);
    free(want);
    mx_array_free(k);
    mx_array_free(b);
    mx_array_free(u);
}

/* ---- distributions against MLX ---- */

TEST(uniform_matches_mlx) {
    mx_array *k = key(2024), *o = NULL, *lo = f32(-3.5f), *hi = f32(7.25f);
    CHECK_OK(mx_random_uniform(&o, NULL, NULL, SH, 2, MX_FLOAT32, k, NULL));
    CHECK_BITS(o, MX_FLOAT32, mlx_uniform_f32, "uniform f32");
    CHECK_OK(mx_random_uniform(&o, NULL, NULL, SH, 2, MX_FLOAT16, k, NULL));
    CHECK_BITS(o, MX_FLOAT16, mlx_uniform_f16, "uniform f16");
    CHECK_OK(mx_random_uniform(&o, NULL, NULL, SH, 2, MX_BFLOAT16, k, NULL));
    CHECK_BITS(o, MX_BFLOAT16, mlx_uniform_bf16, "uniform bf16");
    CHECK_OK(mx_random_uniform(&o, lo, hi, SH, 2, MX_FLOAT32, k, NULL));
    CHECK_BITS(o, MX_FLOAT32, mlx_uniform_lh_f32, "uniform(-3.5, 7.25) f32");
    CHECK_OK(mx_random_uniform(&o, lo, hi, SH, 2, MX_FLOAT16, k, NULL));
    CHECK_BITS(o, MX_FLOAT16, mlx_uniform_lh_f16, "uniform(-3.5, 7.25) f16");
    CHECK_OK(mx_random_uniform(&o, lo, hi, SH, 2, MX_BFLOAT16, k, NULL));
    CHECK_BITS(o, MX_BFLOAT16, mlx_uniform_lh_bf16, "uniform(-3.5, 7.25) bf16");
    /* low (5,) and high (3, 1) broadcast to (3, 5). */
    float lv[5] = {0, 1, 2, 3, 4}, hv[3] = {1, 10, 100};
    int32_t s5 = 5, s31[2] = {3, 1};
    mx_array *la = vec_f32(lv, &s5, 1), *ha = vec_f32(hv, s31, 2);
    CHECK_OK(mx_random_uniform(&o, la, ha, SH, 2, MX_FLOAT32, k, NULL));
    CHECK_BITS(o, MX_FLOAT32, mlx_uniform_arr, "uniform(array, array)");
    /* The same parameters as a transposed view, a broadcast view and a
     * reversed slice give the same values. */
    float lrev[5] = {4, 3, 2, 1, 0};
    mx_array *lr = vec_f32(lrev, &s5, 1), *lneg = NULL, *ht = NULL, *hb = NULL;
    int32_t st = 4, sp = -6, step = -1;
    CHECK_OK(mx_slice(&lneg, lr, &st, &sp, &step, 1, NULL));
    int32_t s13[2] = {1, 3};
    mx_array *hrow = vec_f32(hv, s13, 2);
    CHECK_OK(mx_transpose(&ht, hrow, NULL, 0, NULL));
    mx_array *o2 = NULL;
    CHECK_OK(mx_random_uniform(&o2, lneg, ht, SH, 2, MX_FLOAT32, k, NULL));
    CHECK_BITS(o2, MX_FLOAT32, mlx_uniform_arr, "uniform(reversed, transposed)");
    CHECK_OK(mx_broadcast_to(&hb, ha, SH, 2, NULL));
    CHECK_OK(mx_random_uniform(&o2, la, hb, SH, 2, MX_FLOAT32, k, NULL));
    CHECK_BITS(o2, MX_FLOAT32, mlx_uniform_arr, "uniform(array, broadcast)");
    /* Integer bounds are cast to the dtype; 0-d and empty shapes. */
    mx_array *i0 = NULL, *i1 = NULL;
    CHECK_OK(mx_array_from_int(&i0, 0, MX_INT32));
    CHECK_OK(mx_array_from_int(&i1, 1, MX_INT32));
    CHECK_OK(mx_random_uniform(&o2, i0, i1, SH, 2, MX_FLOAT32, k, NULL));
    CHECK_BITS(o2, MX_FLOAT32, mlx_uniform_f32, "uniform(int 0, int 1)");
    CHECK_OK(mx_random_uniform(&o2, NULL, NULL, NULL, 0, MX_FLOAT32, k, NULL));
    CHECK(mx_array_ndim(o2) == 0);
    CHECK_OK(mx_eval(&o2, 1));
    int32_t e[2] = {0, 3};
    CHECK_OK(mx_random_uniform(&o2, NULL, NULL, e, 2, MX_FLOAT16, k, NULL));
    CHECK_OK(mx_eval(&o2, 1));
    CHECK(mx_array_size(o2) == 0 && mx_array_dim(o2, 1) == 3);
    mx_array *objs[] = {k, o, lo, hi, la, ha, lr, lneg, ht, hb, hrow, o2, i0, i1};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

TEST(normal_matches_mlx) {
    mx_array *k = key(2024), *o = NULL;
    const mx_dtype types[3] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    const void *plain[3] = {mlx_normal_f32, mlx_normal_f16, mlx_normal_bf16};
    const void *ls[3] = {mlx_normal_ls_f32, mlx_normal_ls_f16, mlx_normal_ls_bf16};
    float lv[5] = {0, 1, 2, 3, 4}, sv[3] = {0.5f, 2.0f, 3.0f};
    int32_t s5 = 5, s31[2] = {3, 1};
    mx_array *loc = vec_f32(lv, &s5, 1), *scale = vec_f32(sv, s31, 2);
    for (int t = 0; t < 3; t++) {
        CHECK_OK(mx_random_normal(&o, SH, 2, types[t], NULL, NULL, k, NULL));
        CHECK(same_bits(o, types[t], plain[t], 15, mx_dtype_name(types[t])));
        CHECK_OK(mx_random_normal(&o, SH, 2, types[t], loc, scale, k, NULL));
        CHECK(same_bits(o, types[t], ls[t], 15, "normal with loc and scale"));
    }
    CHECK_OK(mx_random_normal(&o, SH, 2, MX_FLOAT64, NULL, NULL, k, NULL));
    CHECK_BITS(o, MX_FLOAT64, mlx_normal_f64, "normal f64");
    CHECK_OK(mx_random_normal(&o, SH, 2, MX_COMPLEX64, NULL, NULL, k, NULL));
    CHECK(same_bits(o, MX_COMPLEX64, mlx_normal_c64, 15, "normal c64"));
    mx_array *one = f32(1.0f), *two = f32(2.0f);
    CHECK_OK(mx_random_normal(&o, SH, 2, MX_COMPLEX64, one, two, k, NULL));
    CHECK(same_bits(o, MX_COMPLEX64, mlx_normal_c64_ls, 15, "normal c64 loc scale"));
    /* The scalar form is the array form with arrays of the dtype, and
     * loc 0 / scale 1 mean none. */
    mx_array *o2 = NULL;
    CHECK_OK(mx_random_normal_scalar(&o2, SH, 2, MX_FLOAT32, 0.0f, 1.0f, k, NULL));
    CHECK_BITS(o2, MX_FLOAT32, mlx_normal_f32, "normal_scalar(0, 1)");
    CHECK_OK(mx_random_normal_scalar(&o2, SH, 2, MX_COMPLEX64, 1.0f, 2.0f, k, NULL));
    CHECK(same_bits(o2, MX_COMPLEX64, mlx_normal_c64_ls, 15, "normal_scalar c64"));
    /* loc broadcasting past `shape` widens the result, as MLX. */
    int32_t s51[2] = {5, 1};
    mx_array *loc51 = NULL;
    CHECK_OK(mx_reshape(&loc51, loc, s51, 2, NULL));
    CHECK_OK(mx_random_normal(&o2, &s5, 1, MX_FLOAT32, loc51, NULL, k, NULL));
    CHECK(mx_array_ndim(o2) == 2 && mx_array_dim(o2, 0) == 5 && mx_array_dim(o2, 1) == 5);
    mx_array *objs[] = {k, o, o2, loc, scale, one, two, loc51};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

TEST(truncated_normal_matches_mlx) {
    mx_array *k = key(2024), *o = NULL, *lo = f32(-0.5f), *hi = f32(0.25f);
    const mx_dtype types[3] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    const void *want[3] = {mlx_trunc_f32, mlx_trunc_f16, mlx_trunc_bf16};
    for (int t = 0; t < 3; t++) {
        CHECK_OK(mx_random_truncated_normal(&o, lo, hi, SH, 2, types[t], k, NULL));
        CHECK(same_bits(o, types[t], want[t], 15, mx_dtype_name(types[t])));
    }
    mx_array *lw = f32(-3.5f), *up = f32(7.25f);
    CHECK_OK(mx_random_truncated_normal(&o, lw, up, SH, 2, MX_FLOAT32, k, NULL));
    CHECK_BITS(o, MX_FLOAT32, mlx_trunc_wide, "truncated_normal(-3.5, 7.25)");
    /* Without a shape: the bounds' broadcast shape; values stay inside. */
    float lv[4] = {-2, -1, 0, 1};
    int32_t s4 = 4;
    mx_array *la = vec_f32(lv, &s4, 1), *hb = f32(1.5f);
    CHECK_OK(mx_random_truncated_normal(&o, la, hb, NULL, -1, MX_FLOAT32, k, NULL));
    CHECK(mx_array_ndim(o) == 1 && mx_array_dim(o, 0) == 4);
    double v[4];
    read_f64(o, v, 4);
    for (int i = 0; i < 4; i++) CHECK(v[i] >= lv[i] && v[i] <= 1.5);
    mx_array *objs[] = {k, o, lo, hi, lw, up, la, hb};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

TEST(gumbel_laplace_match_mlx) {
    mx_array *k = key(2024), *o = NULL;
    const mx_dtype types[3] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    const void *g[3] = {mlx_gumbel_f32, mlx_gumbel_f16, mlx_gumbel_bf16};
    const void *l[3] = {mlx_laplace_f32, mlx_laplace_f16, mlx_laplace_bf16};
    const void *lls[3] = {mlx_laplace_ls_f32, mlx_laplace_ls_f16, mlx_laplace_ls_bf16};
    for (int t = 0; t < 3; t++) {
        CHECK_OK(mx_random_gumbel(&o, SH, 2, types[t], k, NULL));
        CHECK(same_bits(o, types[t], g[t], 15, "gumbel"));
        CHECK_OK(mx_random_laplace(&o, SH, 2, types[t], 0.0f, 1.0f, k, NULL));
        CHECK(same_bits(o, types[t], l[t], 15, "laplace"));
        CHECK_OK(mx_random_laplace(&o, SH, 2, types[t], 1.5f, 0.3f, k, NULL));
        CHECK(same_bits(o, types[t], lls[t], 15, "laplace(1.5, 0.3)"));
    }
    CHECK_OK(mx_random_laplace(&o, SH, 2, MX_FLOAT64, 0.0f, 1.0f, k, NULL));
    CHECK_BITS(o, MX_FLOAT64, mlx_laplace_f64, "laplace f64");
    mx_array_free(k);
    mx_array_free(o);
}

TEST(bernoulli_matches_mlx) {
    mx_array *k = key(2024), *o = NULL, *p = f32(0.3f);
    CHECK_OK(mx_random_bernoulli(&o, p, SH, 2, k, NULL));
    CHECK_BITS(o, MX_BOOL, mlx_bernoulli, "bernoulli(0.3)");
    float pv[5] = {0, 1, 0.5f, 0.2f, 0.9f};
    int32_t s5 = 5;
    mx_array *pa = vec_f32(pv, &s5, 1), *p64 = NULL, *p16 = NULL;
    CHECK_OK(mx_random_bernoulli(&o, pa, SH, 2, k, NULL));
    CHECK_BITS(o, MX_BOOL, mlx_bernoulli_p, "bernoulli(p array)");
    CHECK_OK(mx_astype(&p64, pa, MX_FLOAT64, NULL));
    CHECK_OK(mx_random_bernoulli(&o, p64, SH, 2, k, NULL));
    CHECK_BITS(o, MX_BOOL, mlx_bernoulli_p64, "bernoulli(p float64)");
    /* float16 p computes in float32 (exact for these values). */
    CHECK_OK(mx_astype(&p16, pa, MX_FLOAT16, NULL));
    CHECK_OK(mx_random_bernoulli(&o, p16, SH, 2, k, NULL));
    CHECK_BITS(o, MX_BOOL, mlx_bernoulli_p, "bernoulli(p float16)");
    /* Defaults: p = 0.5, shape = p's shape. */
    CHECK_OK(mx_random_bernoulli(&o, NULL, SH, 2, k, NULL));
    CHECK(mx_array_dtype(o) == MX_BOOL && mx_array_size(o) == 15);
    CHECK_OK(mx_random_bernoulli(&o, pa, NULL, -1, k, NULL));
    CHECK(mx_array_ndim(o) == 1 && mx_array_dim(o, 0) == 5);
    mx_array *objs[] = {k, o, p, pa, p64, p16};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

TEST(randint_matches_mlx) {
    mx_array *k = key(2024), *o = NULL, *lo = NULL, *hi = NULL;
    CHECK_OK(mx_array_from_int(&lo, -5, MX_INT32));
    CHECK_OK(mx_array_from_int(&hi, 100, MX_INT32));
    CHECK_OK(mx_random_randint(&o, lo, hi, SH, 2, MX_INT32, k, NULL));
    CHECK_BITS(o, MX_INT32, mlx_randint_i32, "randint int32");
    /* int8: high - 1 = 99 fits; values as MLX. */
    CHECK_OK(mx_random_randint(&o, lo, hi, SH, 2, MX_INT8, k, NULL));
    CHECK_BITS(o, MX_INT8, mlx_randint_i8, "randint int8");
    mx_array *z = NULL, *h200 = NULL, *h2 = NULL, *l64 = NULL, *h64 = NULL, *lf = NULL, *hf = NULL;
    CHECK_OK(mx_array_from_int(&z, 0, MX_INT32));
    CHECK_OK(mx_array_from_int(&h200, 200, MX_INT32));
    CHECK_OK(mx_random_randint(&o, z, h200, SH, 2, MX_UINT8, k, NULL));
    CHECK_BITS(o, MX_UINT8, mlx_randint_u8, "randint uint8");
    CHECK_OK(mx_array_from_int(&h2, 2, MX_INT32));
    CHECK_OK(mx_random_randint(&o, z, h2, SH, 2, MX_BOOL, k, NULL));
    CHECK_BITS(o, MX_BOOL, mlx_randint_bool, "randint bool");
    CHECK_OK(mx_array_from_int(&l64, 0, MX_INT64));
    CHECK_OK(mx_array_from_int(&h64, 1ll << 40, MX_INT64));
    CHECK_OK(mx_random_randint(&o, l64, h64, SH, 2, MX_INT64, k, NULL));
    {
        /* beyond 2^24 the draw is exact: MLX's value (float32, 2^16 apart
         * here) made exact from the same word plus 32 more bits */
        int64_t got[15];
        CHECK_OK(mx_eval(&o, 1));
        CHECK_OK(mx_array_copy_to(o, got, sizeof got));
        int odd = 0;
        for (int i = 0; i < 15; i++) {
            int64_t d = got[i] - (int64_t)mlx_randint_i64[i];
            CHECK(got[i] >= 0 && got[i] < (1ll << 40) && d > -(1 << 18) && d < (1 << 18));
            odd += (int)(got[i] & 1);
        }
        CHECK(odd > 0 && odd < 15);
    }
    lf = f32(1.5f), hf = f32(7.5f);
    CHECK_OK(mx_random_randint(&o, lf, hf, SH, 2, MX_INT32, k, NULL));
    CHECK_BITS(o, MX_INT32, mlx_randint_float, "randint(1.5, 7.5)");
    int32_t lv[5] = {-10, 0, 1000000, 5, -3}, hv[3] = {10, 1000300, 6}, s5 = 5, s31[2] = {3, 1};
    mx_array *la = NULL, *ha = NULL;
    CHECK_OK(mx_array_from_data(&la, lv, &s5, 1, MX_INT32));
    CHECK_OK(mx_array_from_data(&ha, hv, s31, 2, MX_INT32));
    CHECK_OK(mx_random_randint(&o, la, ha, SH, 2, MX_INT32, k, NULL));
    CHECK_BITS(o, MX_INT32, mlx_randint_arr, "randint(arrays)");
    CHECK_OK(mx_random_randint(&o, la, ha, SH, 2, MX_INT16, k, NULL));
    CHECK_BITS(o, MX_INT16, mlx_randint_arr_i16, "randint(arrays) int16");
    mx_array_free(la);
    mx_array_free(ha);
    /* Every integer dtype stays in [low, high). */
    const mx_dtype ints[8] = {MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64,
                              MX_INT8,  MX_INT16,  MX_INT32,  MX_INT64};
    int32_t big = 2000;
    for (int t = 0; t < 8; t++) {
        CHECK_OK(mx_random_randint(&o, z, h200, &big, 1, ints[t], k, NULL));
        double v[2000];
        if (ints[t] == MX_INT8) continue; /* 199 does not fit: clamped to -57, then to 0 */
        read_f64(o, v, 2000);
        bool ok = true, seen0 = false, seen199 = false;
        for (int i = 0; i < 2000; i++) {
            ok = ok && v[i] >= 0 && v[i] < 200 && v[i] == floor(v[i]);
            seen0 = seen0 || v[i] == 0, seen199 = seen199 || v[i] == 199;
        }
        CHECK(ok && seen0 && seen199);
    }
    mx_array *objs[] = {k, o, lo, hi, z, h200, h2, l64, h64, lf, hf};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

TEST(categorical_matches_mlx) {
    mx_array *k = key(2024), *o = NULL, *L = NULL, *L16 = NULL;
    float lg[60];
    for (int i = 0; i < 60; i++) lg[i] = (float)((i * 37) % 11) * 0.3f - 1.0f;
    int32_t ls[3] = {3, 4, 5};
    L = vec_f32(lg, ls, 3);
    CHECK_OK(mx_random_categorical(&o, L, -1, k, NULL));
    CHECK(mx_array_ndim(o) == 2 && mx_array_dim(o, 0) == 3 && mx_array_dim(o, 1) == 4);
    CHECK_BITS(o, MX_UINT32, mlx_cat_m1, "categorical axis -1");
    CHECK_OK(mx_random_categorical(&o, L, 0, k, NULL));
    CHECK_BITS(o, MX_UINT32, mlx_cat_0, "categorical axis 0");
    CHECK_OK(mx_random_categorical_num_samples(&o, L, 1, 7, k, NULL));
    CHECK(mx_array_ndim(o) == 3 && mx_array_dim(o, 1) == 5 && mx_array_dim(o, 2) == 7);
    CHECK_BITS(o, MX_UINT32, mlx_cat_ns, "categorical num_samples=7");
    int32_t sh[3] = {2, 3, 4};
    CHECK_OK(mx_random_categorical_shape(&o, L, 2, sh, 3, k, NULL));
    CHECK_BITS(o, MX_UINT32, mlx_cat_shape, "categorical shape (2, 3, 4)");
    CHECK_OK(mx_astype(&L16, L, MX_FLOAT16, NULL));
    CHECK_OK(mx_random_categorical(&o, L16, -1, k, NULL));
    CHECK_BITS(o, MX_UINT32, mlx_cat_f16, "categorical float16 logits");
    /* A transposed view of the logits samples like its copy. */
    mx_array *t = NULL, *tc = NULL, *o2 = NULL;
    CHECK_OK(mx_transpose(&t, L, NULL, 0, NULL));
    CHECK_OK(mx_astype(&tc, t, MX_FLOAT64, NULL));
    CHECK_OK(mx_astype(&tc, tc, MX_FLOAT32, NULL));
    CHECK_OK(mx_random_categorical(&o, t, 1, k, NULL));
    CHECK_OK(mx_random_categorical(&o2, tc, 1, k, NULL));
    CHECK(same_arrays(o, o2));
    /* A dominant logit always wins; -inf never does. */
    float d[4] = {-INFINITY, 0.0f, 50.0f, 0.0f};
    int32_t s4 = 4;
    mx_array *D = vec_f32(d, &s4, 1);
    CHECK_OK(mx_random_categorical_num_samples(&o, D, 0, 64, k, NULL));
    double v[64];
    read_f64(o, v, 64);
    bool all2 = true;
    for (int i = 0; i < 64; i++) all2 = all2 && v[i] == 2;
    CHECK(all2);
    mx_array *objs[] = {k, o, L, L16, t, tc, o2, D};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

TEST(permutation_matches_mlx) {
    mx_array *k = key(2024), *o = NULL, *x = NULL;
    CHECK_OK(mx_random_permutation_arange(&o, 10, k, NULL));
    CHECK_BITS(o, MX_UINT32, mlx_perm10, "permutation(10)");
    int32_t d[20], s45[2] = {4, 5};
    for (int i = 0; i < 20; i++) d[i] = i;
    CHECK_OK(mx_array_from_data(&x, d, s45, 2, MX_INT32));
    CHECK_OK(mx_random_permutation(&o, x, 0, k, NULL));
    CHECK_BITS(o, MX_INT32, mlx_perm_x0, "permutation(x, axis 0)");
    CHECK_OK(mx_random_permutation(&o, x, -1, k, NULL));
    CHECK_BITS(o, MX_INT32, mlx_perm_x1, "permutation(x, axis -1)");
    /* Views: a transposed input, permuted along its axis 1, is the
     * transpose of x permuted along axis 0. */
    mx_array *t = NULL, *o2 = NULL, *tt = NULL;
    CHECK_OK(mx_transpose(&t, x, NULL, 0, NULL));
    CHECK_OK(mx_random_permutation(&o2, t, 1, k, NULL));
    CHECK_OK(mx_transpose(&tt, o2, NULL, 0, NULL));
    CHECK_OK(mx_random_permutation(&o, x, 0, k, NULL));
    mx_array *ttc = NULL;
    CHECK_OK(mx_astype(&ttc, tt, MX_INT64, NULL));
    CHECK_OK(mx_astype(&ttc, ttc, MX_INT32, NULL));
    CHECK(same_arrays(o, ttc));
    /* Every dtype width, and a permutation really permutes. */
    const mx_dtype types[4] = {MX_UINT8, MX_FLOAT16, MX_FLOAT32, MX_COMPLEX64};
    for (int i = 0; i < 4; i++) {
        mx_array *c = NULL, *p = NULL, *sorted = NULL;
        CHECK_OK(mx_astype(&c, x, types[i], NULL));
        CHECK_OK(mx_random_permutation(&p, c, 1, k, NULL));
        CHECK_OK(mx_astype(&sorted, p, MX_INT32, NULL));
        CHECK(same_bits(sorted, MX_INT32, mlx_perm_x1, 20, mx_dtype_name(types[i])));
        mx_array_free(c);
        mx_array_free(p);
        mx_array_free(sorted);
    }
    CHECK_OK(mx_random_permutation_arange(&o, 0, k, NULL));
    CHECK_OK(mx_eval(&o, 1));
    CHECK(mx_array_size(o) == 0 && mx_array_dtype(o) == MX_UINT32);
    int32_t big = 5000;
    CHECK_OK(mx_random_permutation_arange(&o, big, k, NULL));
    CHECK_OK(mx_eval(&o, 1));
    const uint32_t *pv = mx_array_data(o);
    char *seen = calloc(5000, 1);
    bool ok = true;
    for (int i = 0; i < big; i++) {
        ok = ok && pv[i] < 5000 && !seen[pv[i]];
        if (pv[i] < 5000) seen[pv[i]] = 1;
    }
    CHECK(ok);
    free(seen);
    mx_array *objs[] = {k, o, x, t, o2, tt, ttc};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

TEST(multivariate_normal_matches_mlx) {
    mx_array *k = key(2024), *o = NULL;
    float mean[3] = {1, 2, 3}, cov[9] = {2, 0.5f, 0.1f, 0.5f, 1, 0.2f, 0.1f, 0.2f, 0.5f};
    int32_t ms = 3, cs[2] = {3, 3}, sh = 6;
    mx_array *m = vec_f32(mean, &ms, 1), *c = vec_f32(cov, cs, 2);
    CHECK_OK(mx_random_multivariate_normal(&o, m, c, &sh, 1, MX_FLOAT32, k, NULL));
    CHECK(mx_array_ndim(o) == 2 && mx_array_dim(o, 0) == 6 && mx_array_dim(o, 1) == 3);
    /* MLX computes the SVD in float32 (LAPACK), cmlx in double: equal to
     * float32 rounding. */
    double v[18];
    read_f64(o, v, 18);
    double maxrel = 0;
    for (int i = 0; i < 18; i++) {
        float w;
        memcpy(&w, &mlx_mvn[i], 4);
        double r = fabs(v[i] - w) / fmax(fabs(w), 1e-3);
        if (r > maxrel) maxrel = r;
    }
    CHECK(maxrel < 2e-6);
    /* Batches: mean (4, 3) and cov (2, 1, 3, 3) give (2, 4, 3); samples
     * have the asked covariance. */
    int32_t big = 20000;
    CHECK_OK(mx_random_multivariate_normal(&o, m, c, &big, 1, MX_FLOAT32, k, NULL));
    double *s = malloc(sizeof(double) * 60000);
    read_f64(o, s, 60000);
    for (int a = 0; a < 3; a++) {
        double mu = 0;
        for (int i = 0; i < 20000; i++) mu += s[i * 3 + a];
        mu /= 20000;
        CHECK_NEAR(mu, mean[a], 0.05);
        for (int b = 0; b < 3; b++) {
            double cab = 0;
            for (int i = 0; i < 20000; i++)
                cab += (s[i * 3 + a] - mean[a]) * (s[i * 3 + b] - mean[b]);
            CHECK_NEAR(cab / 20000, cov[a * 3 + b], 0.06);
        }
    }
    free(s);
    float m4[12] = {0};
    int32_t m4s[2] = {4, 3}, c2s[4] = {2, 1, 3, 3};
    float c2[18];
    for (int i = 0; i < 18; i++) c2[i] = cov[i % 9];
    mx_array *mb = vec_f32(m4, m4s, 2), *cb = vec_f32(c2, c2s, 4);
    CHECK_OK(mx_random_multivariate_normal(&o, mb, cb, NULL, 0, MX_FLOAT32, k, NULL));
    CHECK(mx_array_ndim(o) == 3 && mx_array_dim(o, 0) == 2 && mx_array_dim(o, 1) == 4 &&
          mx_array_dim(o, 2) == 3);
    CHECK_OK(mx_eval(&o, 1));
    mx_array *objs[] = {k, o, m, c, mb, cb};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

/* ---- global key ---- */

static void *thread_seed0(void *arg) {
    float *r = arg;
    mx_random_seed(0);
    mx_array *u = NULL;
    if (mx_random_uniform(&u, NULL, NULL, NULL, 0, MX_FLOAT32, NULL, NULL) == MX_OK &&
        mx_eval(&u, 1) == MX_OK)
        mx_array_copy_to(u, r, sizeof(float));
    mx_array_free(u);
    return NULL;
}

TEST(global_key) {
    mx_array *u = NULL;
    float a[2];
    mx_random_seed(0);
    CHECK_OK(mx_random_uniform(&u, NULL, NULL, NULL, 0, MX_FLOAT32, NULL, NULL));
    CHECK_OK(mx_eval(&u, 1));
    CHECK_OK(mx_array_copy_to(u, &a[0], 4));
    CHECK_OK(mx_random_uniform(&u, NULL, NULL, NULL, 0, MX_FLOAT32, NULL, NULL));
    CHECK_OK(mx_eval(&u, 1));
    CHECK_OK(mx_array_copy_to(u, &a[1], 4));
    CHECK(memcmp(a, mlx_seed0_uniform2, sizeof a) == 0);
    int32_t s7 = 7;
    mx_random_seed(123456789012345ull);
    CHECK_OK(mx_random_uniform(&u, NULL, NULL, &s7, 1, MX_FLOAT32, NULL, NULL));
    CHECK_BITS(u, MX_FLOAT32, mlx_seedbig_uniform, "seed(123456789012345)");
    /* A failing call without a key still advances the key (as MLX's
     * Python layer): seed(0), a bad call, then the second value. */
    mx_random_seed(0);
    CHECK_ERR(mx_random_uniform(&u, NULL, NULL, NULL, 0, MX_INT32, NULL, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_random_uniform(&u, NULL, NULL, NULL, 0, MX_FLOAT32, NULL, NULL));
    CHECK(same_bits(u, MX_FLOAT32, &mlx_seed0_uniform2[1], 1, "after a failed call"));
    /* get/set state round trip. */
    mx_array *st = NULL, *u1 = NULL, *u2 = NULL;
    CHECK_OK(mx_random_get_state(&st));
    CHECK_OK(mx_random_normal(&u1, &s7, 1, MX_FLOAT32, NULL, NULL, NULL, NULL));
    CHECK_OK(mx_random_set_state(st));
    CHECK_OK(mx_random_normal(&u2, &s7, 1, MX_FLOAT32, NULL, NULL, NULL, NULL));
    CHECK(same_arrays(u1, u2));
    /* The key is per thread: another thread seeding 0 gets the first
     * value and leaves this thread's key alone. */
    mx_random_seed(0);
    float r = -1;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_seed0, &r) == 0);
    pthread_join(th, NULL);
    CHECK(memcmp(&r, &mlx_seed0_uniform2[0], 4) == 0);
    CHECK_OK(mx_random_uniform(&u, NULL, NULL, NULL, 0, MX_FLOAT32, NULL, NULL));
    CHECK(same_bits(u, MX_FLOAT32, &mlx_seed0_uniform2[0], 1, "main thread after other"));
    mx_array *objs[] = {u, st, u1, u2};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

/* ---- big outputs, threads and SIMD levels ---- */

static void summary(mx_array *a, uint32_t out[7]) {
    CHECK_OK(mx_eval(&a, 1));
    const uint32_t *w = mx_array_data(a);
    uint32_t s = 0, x = 0;
    for (size_t i = 0; i < mx_array_size(a); i++) s += w[i], x ^= w[i];
    const int idx[5] = {0, 1, 150000, 150001, 300000};
    out[0] = s, out[1] = x;
    for (int i = 0; i < 5; i++) out[2 + i] = w[idx[i]];
}

TEST(big_outputs_threads_and_simd) {
    mx_array *k = key(2024), *o = NULL;
    int32_t n = 300001;
    uint32_t got[7];
    const int threads[2] = {1, 0};
    for (int t = 0; t < 2; t++) {
        mxi_set_num_threads(threads[t]);
        CHECK_OK(mx_random_uniform(&o, NULL, NULL, &n, 1, MX_FLOAT32, k, NULL));
        summary(o, got);
        CHECK(memcmp(got, mlx_big_uniform, sizeof got) == 0);
        CHECK_OK(mx_random_normal(&o, &n, 1, MX_FLOAT32, NULL, NULL, k, NULL));
        summary(o, got);
        CHECK(memcmp(got, mlx_big_normal, sizeof got) == 0);
        CHECK_OK(mx_random_permutation_arange(&o, n, k, NULL));
        summary(o, got);
        CHECK(memcmp(got, mlx_big_perm, sizeof got) == 0);
    }
    mxi_set_num_threads(0);
    /* Each SIMD level against the scalar reference, on every family that
     * has per-level loops (threefry, erfinv, erf). */
    mx_array *ref[4] = {NULL, NULL, NULL, NULL}, *lo = f32(-1.0f), *hi = f32(0.5f);
    int32_t m = 40001;
    mxi_simd_level top = mxi_simd_detected();
    int levels = 0;
    for (int l = 0; l <= (int)top && l < MXI_SIMD_LEVELS; l++) {
        if (mxi_simd_set_active((mxi_simd_level)l) != 0) continue;
        levels++;
        mx_array *cur[4] = {NULL, NULL, NULL, NULL};
        CHECK_OK(mx_random_bits(&cur[0], &m, 1, 4, k, NULL));
        CHECK_OK(mx_random_normal(&cur[1], &m, 1, MX_FLOAT16, NULL, NULL, k, NULL));
        CHECK_OK(mx_random_truncated_normal(&cur[2], lo, hi, &m, 1, MX_FLOAT32, k, NULL));
        CHECK_OK(mx_random_gumbel(&cur[3], &m, 1, MX_BFLOAT16, k, NULL));
        for (int i = 0; i < 4; i++) {
            if (l == 0) {
                ref[i] = cur[i];
            } else {
                if (!same_arrays(ref[i], cur[i]))
                    fprintf(stderr, "  level %s differs in family %d\n",
                            mxi_simd_name((mxi_simd_level)l), i);
                CHECK(same_arrays(ref[i], cur[i]));
                mx_array_free(cur[i]);
            }
        }
    }
    CHECK(levels == (int)top + 1);
    mxi_simd_set_active(top);
    for (int i = 0; i < 4; i++) mx_array_free(ref[i]);
    mx_array *objs[] = {k, o, lo, hi};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

/* ---- distributions: moments (a sanity net besides the exact checks) ---- */

TEST(moments) {
    mx_array *k = key(5), *o = NULL;
    int32_t n = 100000;
    double *v = malloc(sizeof(double) * 100000);
    struct {
        const char *name;
        double mean, var, tol;
    } want[4] = {{"normal", 0, 1, 0.02},
                 {"gumbel", 0.5772156649, 1.6449340668, 0.03},
                 {"laplace", 0, 2, 0.04},
                 {"uniform", 0.5, 1.0 / 12, 0.01}};
    for (int d = 0; d < 4; d++) {
        if (d == 0) CHECK_OK(mx_random_normal(&o, &n, 1, MX_FLOAT32, NULL, NULL, k, NULL));
        if (d == 1) CHECK_OK(mx_random_gumbel(&o, &n, 1, MX_FLOAT32, k, NULL));
        if (d == 2) CHECK_OK(mx_random_laplace(&o, &n, 1, MX_FLOAT32, 0.0f, 1.0f, k, NULL));
        if (d == 3) CHECK_OK(mx_random_uniform(&o, NULL, NULL, &n, 1, MX_FLOAT32, k, NULL));
        read_f64(o, v, 100000);
        double mu = 0, var = 0;
        for (int i = 0; i < n; i++) mu += v[i];
        mu /= n;
        for (int i = 0; i < n; i++) var += (v[i] - mu) * (v[i] - mu);
        var /= n;
        if (fabs(mu - want[d].mean) > want[d].tol || fabs(var - want[d].var) > 2 * want[d].tol)
            fprintf(stderr, "  %s: mean %g var %g\n", want[d].name, mu, var);
        CHECK_NEAR(mu, want[d].mean, want[d].tol);
        CHECK_NEAR(var, want[d].var, 2 * want[d].tol);
    }
    mx_array *p = f32(0.3f);
    CHECK_OK(mx_random_bernoulli(&o, p, &n, 1, k, NULL));
    read_f64(o, v, 100000);
    double ones = 0;
    for (int i = 0; i < n; i++) ones += v[i];
    CHECK_NEAR(ones / n, 0.3, 0.01);
    free(v);
    mx_array_free(p);
    mx_array_free(k);
    mx_array_free(o);
}

/* ---- errors ---- */

TEST(errors) {
    mx_array *k = key(1), *o = NULL, *bad = NULL, *bad3 = NULL, *bad22 = NULL;
    int32_t s2[1] = {2}, neg[1] = {-1}, s3 = 3, s22[2] = {2, 2};
    int32_t kk[3] = {1, 2, 3};
    CHECK_OK(mx_array_from_data(&bad, kk, s2, 1, MX_INT32));
    CHECK_OK(mx_array_from_data(&bad3, kk, &s3, 1, MX_UINT32));
    CHECK_OK(mx_zeros(&bad22, s22, 2, MX_UINT32, NULL));
    /* keys */
    CHECK_ERR(mx_random_bits(&o, s2, 1, 4, bad, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_bits(&o, s2, 1, 4, bad3, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_bits(&o, s2, 1, 4, bad22, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_bits(&o, s2, 1, 3, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_bits(&o, neg, 1, 4, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_bits(NULL, s2, 1, 4, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_split(&o, NULL, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_split(&o, k, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_split(&o, bad, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_split_pair(&o, NULL, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_key(NULL, 1), MX_ERR_VALUE);
    CHECK_ERR(mx_random_set_state(bad3), MX_ERR_VALUE);
    CHECK_ERR(mx_random_set_state(NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_get_state(NULL), MX_ERR_VALUE);
    /* uniform */
    mx_array *z32 = NULL, *z2 = NULL;
    int32_t s32[2] = {3, 2};
    CHECK_OK(mx_zeros(&z32, s32, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&z2, &s3, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_random_uniform(&o, NULL, NULL, s2, 1, MX_INT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_uniform(&o, NULL, NULL, s2, 1, MX_COMPLEX64, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_uniform(&o, NULL, NULL, s2, 1, MX_FLOAT64, k, NULL), MX_ERR_RUNTIME);
    CHECK_ERR(mx_random_uniform(&o, NULL, NULL, s2, 1, MX_DTYPE_NONE, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_uniform(&o, z32, NULL, s2, 1, MX_FLOAT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_uniform(&o, z32, z2, s32, 2, MX_FLOAT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_uniform(&o, NULL, NULL, neg, 1, MX_FLOAT32, k, NULL), MX_ERR_VALUE);
    /* normal */
    CHECK_ERR(mx_random_normal(&o, s2, 1, MX_INT32, NULL, NULL, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_normal(&o, s2, 1, MX_BOOL, NULL, NULL, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_normal(&o, neg, 1, MX_FLOAT32, NULL, NULL, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_normal(&o, s2, 1, MX_FLOAT32, z2, NULL, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_normal_scalar(&o, s2, 1, (mx_dtype)50, 0, 1, k, NULL), MX_ERR_VALUE);
    /* multivariate_normal */
    mx_array *m2 = NULL, *m0 = NULL, *eye2 = NULL, *eye3 = NULL, *c23 = NULL, *c322 = NULL,
             *m42 = NULL;
    int32_t s23[2] = {2, 3}, s322[3] = {3, 2, 2}, s42[2] = {4, 2};
    CHECK_OK(mx_zeros(&m2, s2, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&m0, NULL, 0, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&eye2, s22, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&eye3, (int32_t[]){3, 3}, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&c23, s23, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&c322, s322, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&m42, s42, 2, MX_FLOAT32, NULL));
    CHECK_ERR(mx_random_multivariate_normal(&o, m2, eye2, NULL, 0, MX_FLOAT16, k, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_random_multivariate_normal(&o, m0, eye2, NULL, 0, MX_FLOAT32, k, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_random_multivariate_normal(&o, m2, m2, NULL, 0, MX_FLOAT32, k, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_random_multivariate_normal(&o, m2, c23, NULL, 0, MX_FLOAT32, k, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_random_multivariate_normal(&o, m2, eye3, NULL, 0, MX_FLOAT32, k, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_random_multivariate_normal(&o, m42, c322, NULL, 0, MX_FLOAT32, k, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_random_multivariate_normal(&o, m42, eye2, &s3, 1, MX_FLOAT32, k, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_random_multivariate_normal(&o, NULL, eye2, NULL, 0, MX_FLOAT32, k, NULL),
              MX_ERR_VALUE);
    /* randint */
    mx_array *i0 = NULL, *i9 = NULL;
    CHECK_OK(mx_array_from_int(&i0, 0, MX_INT32));
    CHECK_OK(mx_array_from_int(&i9, 9, MX_INT32));
    CHECK_ERR(mx_random_randint(&o, i0, i9, s2, 1, MX_FLOAT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_randint(&o, z32, i9, s2, 1, MX_INT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_randint(&o, NULL, i9, s2, 1, MX_INT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_randint(&o, i0, i9, neg, 1, MX_INT32, k, NULL), MX_ERR_VALUE);
    /* bernoulli */
    mx_array *pint = NULL;
    CHECK_OK(mx_array_from_int(&pint, 1, MX_INT32));
    CHECK_ERR(mx_random_bernoulli(&o, pint, s2, 1, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_bernoulli(&o, z32, &s3, 1, k, NULL), MX_ERR_VALUE); /* (3,2) vs (3,) */
    CHECK_ERR(mx_random_bernoulli(&o, z2, s2, 1, k, NULL), MX_ERR_VALUE);   /* (3,) vs (2,) */
    /* truncated_normal */
    mx_array *lo = f32(-1), *hi = f32(1);
    CHECK_ERR(mx_random_truncated_normal(&o, lo, hi, s2, 1, MX_INT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_truncated_normal(&o, lo, hi, s2, 1, MX_FLOAT64, k, NULL), MX_ERR_RUNTIME);
    CHECK_ERR(mx_random_truncated_normal(&o, z2, hi, s2, 1, MX_FLOAT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_truncated_normal(&o, z32, hi, &s3, 1, MX_FLOAT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_truncated_normal(&o, NULL, hi, s2, 1, MX_FLOAT32, k, NULL), MX_ERR_VALUE);
    /* gumbel, laplace */
    CHECK_ERR(mx_random_gumbel(&o, s2, 1, MX_FLOAT64, k, NULL), MX_ERR_RUNTIME);
    CHECK_ERR(mx_random_gumbel(&o, s2, 1, MX_INT32, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_laplace(&o, s2, 1, MX_COMPLEX64, 0, 1, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_laplace(&o, s2, 1, MX_INT32, 0, 1, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_laplace(&o, neg, 1, MX_FLOAT32, 0, 1, k, NULL), MX_ERR_VALUE);
    /* categorical */
    mx_array *l34 = NULL, *l30 = NULL;
    int32_t s34[2] = {3, 4}, s30[2] = {3, 0}, c3[1] = {2}, c1[1] = {1};
    CHECK_OK(mx_zeros(&l34, s34, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&l30, s30, 2, MX_FLOAT32, NULL));
    CHECK_ERR(mx_random_categorical(&o, m0, -1, k, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_random_categorical(&o, l34, 2, k, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_random_categorical(&o, l34, -3, k, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_random_categorical_shape(&o, l34, -1, c3, 1, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_categorical_shape(&o, l34, -1, c1, 1, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_categorical_num_samples(&o, l34, -1, 0, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_categorical_num_samples(&o, l34, -1, -1, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_categorical(&o, l30, -1, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_categorical(&o, NULL, -1, k, NULL), MX_ERR_VALUE);
    /* permutation */
    CHECK_ERR(mx_random_permutation_arange(&o, -1, k, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_random_permutation(&o, m0, 0, k, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_random_permutation(&o, l34, 2, k, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_random_permutation(&o, NULL, 0, k, NULL), MX_ERR_VALUE);
    CHECK(o == NULL);
    /* The library still works. */
    mx_array *k2024 = key(2024);
    CHECK_OK(mx_random_uniform(&o, NULL, NULL, SH, 2, MX_FLOAT32, k2024, NULL));
    CHECK_BITS(o, MX_FLOAT32, mlx_uniform_f32, "uniform after errors");
    mx_array_free(k2024);
    mx_array *objs[] = {k,   o,    bad, bad3, bad22, z32,  z2, m2, m0,  eye2, eye3,
                        c23, c322, m42, i0,   i9,    pint, lo, hi, l34, l30};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) mx_array_free(objs[i]);
}

int main(void) {
    RUN(threefry_known_answers);
    RUN(keys_and_split);
    RUN(bits_layout);
    RUN(uniform_matches_mlx);
    RUN(normal_matches_mlx);
    RUN(truncated_normal_matches_mlx);
    RUN(gumbel_laplace_match_mlx);
    RUN(bernoulli_matches_mlx);
    RUN(randint_matches_mlx);
    RUN(categorical_matches_mlx);
    RUN(permutation_matches_mlx);
    RUN(multivariate_normal_matches_mlx);
    RUN(global_key);
    RUN(big_outputs_threads_and_simd);
    RUN(moments);
    RUN(errors);
    return TEST_SUMMARY();
}
